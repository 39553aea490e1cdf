// The lost worker comes back after a declared chain break: A's chunk 2 went only to its spill journal (its Blob write
// refused), chunks 3.. reached Blob; B adopted, sealed with a declared break and a workerLost gap. A restarts on its
// data folder: its spill journal drains chunk 2 and a supplement files it; verify accepts the recovered chunk only
// because it links chunk 1 to exactly the link the break declared, and reads the whole stream as sent.
import { afterAll, describe, expect, it } from 'vitest';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { SignedSupplementSchema, signSupplement } from '../../media-worker/src/manifest/supplement.js';
import { chainHashOf } from '../../media-worker/src/ingest/hash-chain.js';
import { createLogger } from '../../media-worker/src/log.js';
import { fileRecovered } from '../../media-worker/src/session/file-recovered.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { sealedAfterSpilledChunk } from './helpers/hole-scenario.js';
import { expectedSha, startTestWorker, waitFor } from './helpers/worker-harness.js';

const workers: RunningWorker[] = [];
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close()));
});

describe('handover: the lost worker comes back after a chain break', () => {
  it('files its spilled chunk in a supplement that closes the declared break; verify: complete with recovery', async () => {
    const { store, manifest, sealed, envA, keyFile, verifier, sessionId, callId } = await sealedAfterSpilledChunk('retrhole', workers);

    // A comes back on its data folder with a working Blob path.
    const back = (await startTestWorker(envA)).worker;
    workers.push(back);
    const supplementBlob = (sealed.manifestBlob ?? '').replace(/manifest\.json$/, 'supplement-w-a-1.json');
    await waitFor(async () => (await store.get(supplementBlob)) !== undefined, 30_000, 'A files its supplement');
    expect(back.writer.spilledCount).toBe(0);
    const supplement = SignedSupplementSchema.parse(JSON.parse((await store.get(supplementBlob))?.data.toString('utf8') ?? '{}'));
    expect(supplement.chunks.map((c) => [c.index, c.firstSeq, c.lastSeq])).toEqual([[2, 21, 30]]);
    expect(supplement.chunks[0]?.chainHash).toBe(manifest.chainBreaks?.[0]?.prevChainHash);
    expect(back.registry.get(sessionId)?.record.state).toBe('released');

    const after = await verifyRecording({ callId }, { store, verifier });
    expect(after.problems).toEqual([]);
    expect(after).toMatchObject({ ok: true, completeness: 'completeWithRecovery', missingFrames: 0, sealedBy: 'w-b' });
    expect(after.recordedBy).toEqual(expect.arrayContaining(['w-a', 'w-b']));
    expect(after.streams[0]?.sha256).toBe(expectedSha('mixed', 1, 80));

    // Filing again (a later check) adds nothing: the chunk is already in a supplement; the closed session is left alone.
    expect(await back.registry.get(sessionId)?.fileIfSealedElsewhere()).toEqual({ kind: 'closed' });
    const signer = await Ed25519FileSigner.fromFile(keyFile, { createIfMissing: false });
    const loc = { region: 'emea', tenantId: 'tenant-1', callId, createdAt: manifest.createdAt };
    const refiled = await fileRecovered(loc, sessionId, { workerId: 'w-a', writer: back.writer, signer, log: createLogger({}, 'silent') });
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
