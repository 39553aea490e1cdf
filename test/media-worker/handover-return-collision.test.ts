// The lost worker comes back and finds its spilled chunk's canonical name taken by another worker with other bytes: it
// stores the chunk under recovered/<worker>/…, files it in its supplement, and lets go of the spill entry (before this
// was fixed, the drain retried the conflicting canonical write every second for ever).
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLocalMediaConfig, parseBridgeAddress } from '../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { ReferenceBridgeClient } from '../../media-worker/src/bridge/reference-bridge-client.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import { SignedManifestSchema } from '../../media-worker/src/manifest/manifest.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { SignedSupplementSchema } from '../../media-worker/src/manifest/supplement.js';
import type { ObjectStore } from '../../media-worker/src/storage/object-store.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { tempDir, uniqueName } from '../helpers/stack-env.js';
import { api, expectedSha, sendFrames, startTestWorker, testConfig, waitFor } from './helpers/worker-harness.js';

/** The real Blob store, refusing writes of names that match `blocked` (A's Blob path failing for one chunk). */
function refusing(inner: ObjectStore, blocked: RegExp): ObjectStore {
  return {
    kind: inner.kind,
    putIfAbsent: (name, data, options) => (blocked.test(name) ? Promise.reject(new Error('blob write refused (test)')) : inner.putIfAbsent(name, data, options)),
    get: (name, options) => inner.get(name, options),
    list: (prefix) => inner.list(prefix),
  };
}

const workers: RunningWorker[] = [];
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close()));
});

describe('handover: the returning worker finds its chunk name taken', () => {
  it('stores its spilled chunk under recovered/ and drops it from the spill journal (no endless drain retry)', async () => {
    const container = uniqueName('retcoll');
    const keyFile = `${await tempDir('retcoll-key')}/manifest-signing-key.pem`;
    await Ed25519FileSigner.fromFile(keyFile);
    const dataA = await tempDir('retcoll-a');
    const envA = { MEDIA_WORKER_ID: 'w-a', RECORDINGS_CONTAINER: container, MANIFEST_SIGNING_KEY_FILE: keyFile, MEDIA_WORKER_DATA_DIR: dataA };
    const configA = await testConfig(envA);
    const realStore = await createObjectStore(configA);
    const a = (await startTestWorker(envA, { store: refusing(realStore, /\/mixed\/00000002\.pcm$/) })).worker;
    workers.push(a);
    const { worker: b, config: configB } = await startTestWorker({ MEDIA_WORKER_ID: 'w-b', RECORDINGS_CONTAINER: container, MANIFEST_SIGNING_KEY_FILE: keyFile });
    workers.push(b);

    const callId = uniqueName('call');
    const res = await api(a.controlUrl, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
    const cfg = decodeLocalMediaConfig(ReserveSessionResponseSchema.parse(res.json).mediaConfig.blob);
    const onA = new ReferenceBridgeClient({ host: cfg.host, port: cfg.port, sessionId: cfg.sessionId, token: cfg.token, callId });
    await onA.connect();
    await api(a.controlUrl, 'POST', `/sessions/${cfg.sessionId}/recording`, { status: 'granted' });
    onA.startStream(0, 'mixed');
    await sendFrames(onA, 'mixed', 1, 50);
    await onA.waitAcked('mixed', 50, 20_000); // chunk 2 (seqs 21..30) acked from A's spill journal
    expect(a.writer.spilledCount).toBe(1);
    onA.close();
    await a.close(); // A is lost with chunk 2 only in its spill journal

    const { host, port } = parseBridgeAddress(b.bridgeUrl);
    const onB = new ReferenceBridgeClient({ host, port, sessionId: cfg.sessionId, token: cfg.token, callId });
    onB.startStream(0, 'mixed');
    expect((await onB.connect()).durable).toEqual([{ streamId: 'mixed', seq: 50 }]);
    await api(b.controlUrl, 'POST', `/sessions/${cfg.sessionId}/recording`, { status: 'granted' });
    await sendFrames(onB, 'mixed', 51, 80);
    onB.endStream('mixed');
    await onB.waitAcked('mixed', 80, 20_000);
    expect((await api(b.controlUrl, 'POST', `/sessions/${cfg.sessionId}/seal`, {})).status).toBe(200);
    onB.close();

    const store = await createObjectStore(configB);
    const verifier = await Ed25519FileSigner.fromFile(keyFile, { createIfMissing: false });
    const sealed = await verifyRecording({ callId }, { store, verifier });
    expect(sealed).toMatchObject({ ok: true, completeness: 'declaredGaps', missingFrames: 10 });
    const manifest = SignedManifestSchema.parse(JSON.parse((await store.get(sealed.manifestBlob ?? ''))?.data.toString('utf8') ?? '{}'));
    expect(manifest.chainBreaks).toMatchObject([{ streamId: 'mixed', afterIndex: 1, beforeIndex: 3, fromSeq: 21, toSeq: 30 }]);

    // Another worker took chunk 2's canonical name with other bytes before A came back.
    const canonical = `${manifest.prefix}mixed/00000002.pcm`;
    await store.putIfAbsent(canonical, Buffer.alloc(6400, 9));

    // A comes back: its drain cannot write the canonical name (other bytes there); the chunk goes under recovered/
    // and leaves the spill journal, so the drain does not retry the conflicting write for ever.
    const back = (await startTestWorker(envA)).worker;
    workers.push(back);
    const supplementBlob = (sealed.manifestBlob ?? '').replace(/manifest\.json$/, 'supplement-w-a-1.json');
    await waitFor(async () => (await store.get(supplementBlob)) !== undefined, 30_000, 'A files its supplement');
    const recoveredName = `${manifest.prefix}recovered/w-a/mixed/00000002.pcm`;
    const recovered = await store.get(recoveredName);
    expect(recovered).toBeDefined();
    expect(createHash('sha256').update(recovered?.data ?? Buffer.alloc(0)).digest('hex')).toBe(expectedSha('mixed', 21, 30));
    await waitFor(() => back.writer.spilledCount === 0, 10_000, 'the spill journal to let go of the filed chunk');
    const supplement = SignedSupplementSchema.parse(JSON.parse((await store.get(supplementBlob))?.data.toString('utf8') ?? '{}'));
    expect(supplement.chunks.map((c) => c.name)).toEqual([recoveredName]);
  });
});
