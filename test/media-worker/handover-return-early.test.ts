// The lost worker comes back *before* the adopting worker seals: its spill journal drains the chunk it had acked into
// the gap B declared. B's seal rebuilds the chunk list from storage, leaves that chunk out (it is not part of B's chain),
// and A's supplement files it once the manifest exists; verify reads the whole stream as sent.
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { sealedAfterSpilledChunk } from './helpers/hole-scenario.js';
import { expectedSha, startTestWorker, waitFor } from './helpers/worker-harness.js';

const workers: RunningWorker[] = [];
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close()));
});

describe('handover: the lost worker comes back before the call is sealed', () => {
  it('B seals without the chunk A drained into the declared gap; A files it; verify: complete with recovery', async () => {
    const { manifest, sealed } = await sealedAfterSpilledChunk('retearly', workers, {
      beforeSeal: async (envA, store, callId) => {
        const back = (await startTestWorker(envA)).worker;
        workers.push(back);
        const drained = async (): Promise<boolean> => {
          for await (const o of store.list('')) if (o.name.endsWith(`/${callId}/mixed/00000002.pcm`)) return true;
          return false;
        };
        await waitFor(drained, 30_000, "A's spilled chunk 2 drained to Blob");
      },
    });
    expect(manifest.streams[0]?.chunks.map((c) => c.index)).toEqual([0, 1, 3, 4, 5, 6, 7]);
    expect(sealed.problems).toEqual([]);
    expect(sealed.streams[0]?.sha256).toBe(expectedSha('mixed', 1, 80));
  });
});
