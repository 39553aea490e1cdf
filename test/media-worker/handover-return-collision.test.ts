// The lost worker comes back and finds its spilled chunk's canonical name taken by another worker with other bytes: it
// stores the chunk under recovered/<worker>/…, files it in its supplement, and lets go of the spill entry (before this
// was fixed, the drain retried the conflicting canonical write every second for ever).
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SignedSupplementSchema } from '../../media-worker/src/manifest/supplement.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { sealedAfterSpilledChunk } from './helpers/hole-scenario.js';
import { expectedSha, startTestWorker, waitFor } from './helpers/worker-harness.js';

const workers: RunningWorker[] = [];
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close()));
});

describe('handover: the returning worker finds its chunk name taken', () => {
  it('stores its spilled chunk under recovered/ and drops it from the spill journal (no endless drain retry)', async () => {
    const { store, manifest, sealed, envA } = await sealedAfterSpilledChunk('retcoll', workers);

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
