// A lost worker whose chunks reached Blob out of order: chunk 2 only in its (lost) spill journal, chunks 3 and 4 in
// Blob. The adopting worker keeps the stored chunks after the hole: the chain goes on past a declared break, the hole
// is a workerLost gap, and verify passes with it (no stored chunk outside the manifest).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLocalMediaConfig, parseBridgeAddress } from '../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { ReferenceBridgeClient } from '../../media-worker/src/bridge/reference-bridge-client.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import type { WorkerConfig } from '../../media-worker/src/config.js';
import { SignedManifestSchema, signManifest } from '../../media-worker/src/manifest/manifest.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { blobServiceClient } from '../helpers/clients.js';
import { uniqueName } from '../helpers/stack-env.js';
import { api, pcm, sendFrames, startTestWorker } from './helpers/worker-harness.js';

let a: RunningWorker;
let b: RunningWorker;
let configB: WorkerConfig;
let container: string;

beforeAll(async () => {
  container = uniqueName('handhole');
  a = (await startTestWorker({ MEDIA_WORKER_ID: 'w-a', RECORDINGS_CONTAINER: container })).worker;
  const wb = await startTestWorker({ MEDIA_WORKER_ID: 'w-b', RECORDINGS_CONTAINER: container });
  b = wb.worker;
  configB = wb.config;
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe('handover: a hole in the stored chain', () => {
  it('continues past a declared break: chunks after the hole are kept, the hole is a workerLost gap, verify passes', async () => {
    const callId = uniqueName('call');
    const res = await api(a.controlUrl, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
    const cfg = decodeLocalMediaConfig(ReserveSessionResponseSchema.parse(res.json).mediaConfig.blob);
    const onA = new ReferenceBridgeClient({ host: cfg.host, port: cfg.port, sessionId: cfg.sessionId, token: cfg.token, callId });
    await onA.connect();
    await api(a.controlUrl, 'POST', `/sessions/${cfg.sessionId}/recording`, { status: 'granted' });
    onA.startStream(0, 'mixed');
    await sendFrames(onA, 'mixed', 1, 50);
    await onA.waitAcked('mixed', 50, 20_000);
    onA.close();
    await a.close(); // A is gone; chunk 2 was only in its spill journal (removed from Blob here to stand for it)
    const names: string[] = [];
    const blobs = blobServiceClient().getContainerClient(container);
    for await (const item of blobs.listBlobsFlat()) names.push(item.name);
    const chunk2 = names.find((n) => n.endsWith('/mixed/00000002.pcm'));
    if (!chunk2) throw new Error(`no chunk 2 in ${names.join(', ')}`);
    await blobs.deleteBlob(chunk2);

    const { host, port } = parseBridgeAddress(b.bridgeUrl);
    const onB = new ReferenceBridgeClient({ host, port, sessionId: cfg.sessionId, token: cfg.token, callId });
    onB.startStream(0, 'mixed');
    const welcome = await onB.connect();
    expect(welcome.durable).toEqual([{ streamId: 'mixed', seq: 50 }]);
    await api(b.controlUrl, 'POST', `/sessions/${cfg.sessionId}/recording`, { status: 'granted' });
    await sendFrames(onB, 'mixed', 51, 80);
    onB.endStream('mixed');
    await onB.waitAcked('mixed', 80, 20_000);
    expect((await api(b.controlUrl, 'POST', `/sessions/${cfg.sessionId}/seal`, {})).status).toBe(200);

    const store = await createObjectStore(configB);
    const verifier = await Ed25519FileSigner.fromFile(configB.signingKeyFile, { createIfMissing: false });
    const verdict = await verifyRecording({ callId }, { store, verifier });
    expect(verdict.problems).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, completeness: 'declaredGaps', missingFrames: 10 });
    const expected = createHash('sha256');
    for (let seq = 1; seq <= 80; seq++) if (seq < 21 || seq > 30) expected.update(pcm('mixed', seq));
    expect(verdict.streams[0]?.sha256).toBe(expected.digest('hex'));
    const manifest = SignedManifestSchema.parse(JSON.parse((await store.get(verdict.manifestBlob ?? ''))?.data.toString('utf8') ?? '{}'));
    expect(manifest.chainBreaks).toMatchObject([{ streamId: 'mixed', afterIndex: 1, beforeIndex: 3, fromSeq: 21, toSeq: 30 }]);
    expect(manifest.gaps.filter((g) => g.reason === 'workerLost')).toMatchObject([{ streamId: 'mixed', fromSeq: 21, toSeq: 30 }]);
    expect(manifest.streams[0]?.chunks.map((c) => c.index)).toEqual([0, 1, 3, 4, 5, 6, 7]);

    // The break is accepted only as declared: the same manifest without it (re-signed by the same key) does not verify.
    const { signature: _sig, chainBreaks: _breaks, ...body } = manifest;
    const undeclared = await signManifest(body, verifier);
    const altName = (verdict.manifestBlob ?? '').replace(/manifest\.json$/, 'manifest-undeclared.json');
    await store.putIfAbsent(altName, Buffer.from(JSON.stringify(undeclared)), { contentType: 'application/json' });
    const bad = await verifyRecording({ manifestBlob: altName }, { store, verifier });
    expect(bad.ok).toBe(false);
    expect(bad.firstBadChunk).toMatchObject({ streamId: 'mixed', index: 3, reason: expect.stringMatching(/prevChainHash/) });
    onB.close();
  });
});
