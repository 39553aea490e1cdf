// The lost worker comes back after a declared chain break: A's chunk 2 went only to its spill journal (its Blob write
// refused), chunks 3.. reached Blob; B adopted, sealed with a declared break and a workerLost gap. A restarts on its
// data folder: its spill journal drains chunk 2 and a supplement files it; verify accepts the recovered chunk only
// because it links chunk 1 to exactly the link the break declared, and reads the whole stream as sent.
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLocalMediaConfig, parseBridgeAddress } from '../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { ReferenceBridgeClient } from '../../media-worker/src/bridge/reference-bridge-client.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import { SignedManifestSchema } from '../../media-worker/src/manifest/manifest.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { SignedSupplementSchema, signSupplement } from '../../media-worker/src/manifest/supplement.js';
import { chainHashOf } from '../../media-worker/src/ingest/hash-chain.js';
import { createLogger } from '../../media-worker/src/log.js';
import { fileRecovered } from '../../media-worker/src/session/file-recovered.js';
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

describe('handover: the lost worker comes back after a chain break', () => {
  it('files its spilled chunk in a supplement that closes the declared break; verify: complete with recovery', async () => {
    const container = uniqueName('retrhole');
    const keyFile = `${await tempDir('retrhole-key')}/manifest-signing-key.pem`;
    await Ed25519FileSigner.fromFile(keyFile);
    const dataA = await tempDir('retrhole-a');
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

    // A comes back on its data folder with a working Blob path.
    const back = (await startTestWorker(envA)).worker;
    workers.push(back);
    const supplementBlob = (sealed.manifestBlob ?? '').replace(/manifest\.json$/, 'supplement-w-a-1.json');
    await waitFor(async () => (await store.get(supplementBlob)) !== undefined, 30_000, 'A files its supplement');
    expect(back.writer.spilledCount).toBe(0);
    const supplement = SignedSupplementSchema.parse(JSON.parse((await store.get(supplementBlob))?.data.toString('utf8') ?? '{}'));
    expect(supplement.chunks.map((c) => [c.index, c.firstSeq, c.lastSeq])).toEqual([[2, 21, 30]]);
    expect(supplement.chunks[0]?.chainHash).toBe(manifest.chainBreaks?.[0]?.prevChainHash);
    expect(back.registry.get(cfg.sessionId)?.record.state).toBe('released');

    const after = await verifyRecording({ callId }, { store, verifier });
    expect(after.problems).toEqual([]);
    expect(after).toMatchObject({ ok: true, completeness: 'completeWithRecovery', missingFrames: 0, sealedBy: 'w-b' });
    expect(after.recordedBy).toEqual(expect.arrayContaining(['w-a', 'w-b']));
    expect(after.streams[0]?.sha256).toBe(expectedSha('mixed', 1, 80));

    // Filing again (a later check) adds nothing: the chunk is already in a supplement; the closed session is left alone.
    expect(await back.registry.get(cfg.sessionId)?.fileIfSealedElsewhere()).toEqual({ kind: 'closed' });
    const signer = await Ed25519FileSigner.fromFile(keyFile, { createIfMissing: false });
    const loc = { region: 'emea', tenantId: 'tenant-1', callId, createdAt: manifest.createdAt };
    const refiled = await fileRecovered(loc, cfg.sessionId, { workerId: 'w-a', writer: back.writer, signer, log: createLogger({}, 'silent') });
    expect(refiled).toMatchObject({ kind: 'filed', supplementBlob: null, chunks: 0 });
    const names: string[] = [];
    for await (const o of store.list(manifest.prefix)) names.push(o.name);
    expect(names.filter((n) => n.includes('/supplement-'))).toEqual([supplementBlob]);

    // A supplement signed with the pool's key but whose chunk does not continue the chain (a forged link) fails verify.
    const real = supplement.chunks[0];
    if (!real) throw new Error('no recovered chunk');
    const forgedName = `${manifest.prefix}recovered/w-x/mixed/00000002.pcm`;
    await store.putIfAbsent(forgedName, (await store.get(real.name))?.data ?? Buffer.alloc(0));
    const { name: _n, speakers: _sp, chainHash: _c, ...rest } = real;
    const unchained = { ...rest, prevChainHash: manifest.streams[0]?.genesis ?? '' };
    const forgedChunk = { ...unchained, chainHash: chainHashOf(unchained), name: forgedName, speakers: null };
    const { signature: _sig, ...body } = supplement;
    const forged = await signSupplement({ ...body, workerId: 'w-x', chunks: [forgedChunk] }, signer);
    const forgedBlob = `${manifest.prefix}supplement-w-x-1.json`;
    await store.putIfAbsent(forgedBlob, Buffer.from(JSON.stringify(forged)));
    const linked = await verifyRecording({ callId }, { store, verifier });
    expect(linked.ok).toBe(false);
    expect(linked.problems).toEqual(expect.arrayContaining([
      `supplement ${forgedBlob}: chunk ${forgedName}: does not link to the stored chain`,
      `supplement ${forgedBlob}: chunk ${forgedName}: does not close the declared chain break`,
    ]));
  });
});
