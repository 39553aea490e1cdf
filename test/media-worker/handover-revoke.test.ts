// Revoke then re-grant: a resumable revocation (`{status:"revoked", final:false}`) stops persisting at once and keeps
// the bridge; frames that arrive meanwhile are dropped and settled (a reconnect does not bring them back); a later
// grant resumes on the same chains; the manifest declares the `recordingRevoked` gap and verify passes with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../media-worker/src/clients.js';
import type { WorkerConfig } from '../../media-worker/src/config.js';
import { SignedManifestSchema } from '../../media-worker/src/manifest/manifest.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { api, pcm, reserveAndConnect, sendFrames, startTestWorker, waitFor } from './helpers/worker-harness.js';
import { createHash } from 'node:crypto';

let worker: RunningWorker;
let config: WorkerConfig;

beforeAll(async () => {
  ({ worker, config } = await startTestWorker({ MEDIA_WORKER_ID: 'w-revoke' }));
}, 60_000);

afterAll(async () => {
  await worker?.close();
});

const sha = (seqs: number[]): string => {
  const h = createHash('sha256');
  for (const s of seqs) h.update(pcm('mixed', s));
  return h.digest('hex');
};
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('handover: revoke then re-grant', () => {
  it.each([
    ['on the same connection', false],
    ['after a reconnect', true],
  ])('stops persisting, records the recordingRevoked gap, settles the dropped frames, and resumes on a later grant (%s)', async (_name, reconnect) => {
    const s = await reserveAndConnect(worker.controlUrl);
    const grant = (body: unknown): Promise<{ status: number }> => api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, body);
    expect((await grant({ status: 'granted' })).status).toBe(200);
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 20);
    await s.client.waitAcked('mixed', 20, 20_000);

    expect((await grant({ status: 'revoked', final: false })).status).toBe(200);
    await sendFrames(s.client, 'mixed', 21, 45);
    const session = worker.registry.get(s.sessionId);
    await waitFor(() => (session?.framesReceived ?? 0) >= 45, 10_000, 'frames received while revoked');
    await new Promise((r) => setTimeout(r, 300));
    expect(s.client.ackedSeq('mixed')).toBe(20); // nothing acked (nothing stored) while revoked
    expect(s.client.goodbyes).toEqual([]); // the bridge stays

    expect((await grant({ status: 'granted' })).status).toBe(200);
    if (reconnect) {
      // WELCOME settles what was dropped, so the bridge does not replay 21..45 to the resumed stream.
      s.client.close();
      const welcome = await s.client.connect();
      expect(welcome.durable).toEqual([{ streamId: 'mixed', seq: 45 }]);
    }
    await sendFrames(s.client, 'mixed', 46, 80);
    s.client.endStream('mixed');
    await s.client.waitAcked('mixed', 80, 20_000);
    const sealed = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.status).toBe(200);

    const store = await createObjectStore(config);
    const verifier = await Ed25519FileSigner.fromFile(config.signingKeyFile, { createIfMissing: false });
    const verdict = await verifyRecording({ callId: s.callId }, { store, verifier });
    expect(verdict.problems).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, completeness: 'declaredGaps', missingFrames: 25 });
    expect(verdict.streams[0]?.sha256).toBe(sha([...range(1, 20), ...range(46, 80)]));
    const manifest = SignedManifestSchema.parse(JSON.parse((await store.get(verdict.manifestBlob ?? ''))?.data.toString('utf8') ?? '{}'));
    expect(manifest.gaps.filter((g) => g.reason === 'recordingRevoked')).toMatchObject([{ streamId: 'mixed', fromSeq: 21, toSeq: 45 }]);
    expect((manifest.events ?? []).filter((e) => e.type === 'revoked' || e.type === 'granted').map((e) => [e.type, e.detail?.final ?? e.detail?.resumed ?? null]))
      .toEqual([['granted', null], ['revoked', false], ['granted', true]]);
    s.client.close();
  });

  it('a final revocation (the default) still ends recording for good: GOODBYE recordingStopped, a later grant is 409', async () => {
    const s = await reserveAndConnect(worker.controlUrl);
    const grant = (body: unknown): Promise<{ status: number }> => api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, body);
    expect((await grant({ status: 'granted' })).status).toBe(200);
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 10);
    await s.client.waitAcked('mixed', 10, 20_000);
    expect((await grant({ status: 'revoked', final: false })).status).toBe(200);
    expect((await grant({ status: 'revoked' })).status).toBe(200);
    await waitFor(() => s.client.goodbyes.some((g) => g.reason === 'recordingStopped'), 10_000, 'goodbye');
    expect((await grant({ status: 'granted' })).status).toBe(409);
    s.client.close();
  });
});
