// Speaker runs too long for a chunk's blob metadata (4,000 characters) still reach the manifest: the session keeps
// them for those chunks, since the chunk list is rebuilt from the stored metadata at seal. Against the run's Azurite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../media-worker/src/clients.js';
import type { WorkerConfig } from '../../media-worker/src/config.js';
import { SignedManifestSchema } from '../../media-worker/src/manifest/manifest.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { api, frame, reserveAndConnect, startTestWorker } from './helpers/worker-harness.js';

let worker: RunningWorker;
let config: WorkerConfig;

beforeAll(async () => {
  ({ worker, config } = await startTestWorker()); // 200 ms chunks: 10 frames each
});

afterAll(async () => {
  await worker?.close();
});

/** 60 ten-digit source ids, different for every frame: about 660 characters of runs per frame. */
const crowd = (seq: number): number[] => Array.from({ length: 60 }, (_, i) => 1_000_000_000 + seq * 100 + i);

describe('oversized speaker runs', () => {
  it('lists a chunk whose runs did not fit in its metadata with every run, next to chunks whose runs did', async () => {
    const s = await reserveAndConnect(worker.controlUrl);
    await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' });
    s.client.startStream(0, 'mixed');
    for (let seq = 1; seq <= 10; seq++) await s.client.send('mixed', frame('mixed', seq, crowd(seq))); // chunk 0: oversized
    for (let seq = 11; seq <= 20; seq++) await s.client.send('mixed', frame('mixed', seq, [7])); // chunk 1: one run
    s.client.endStream('mixed');
    await s.client.waitAcked('mixed', 20, 20_000);
    const sealed = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.status).toBe(200);
    const blob = (sealed.json as { manifestBlob: string }).manifestBlob;
    const store = await createObjectStore(config);
    const manifest = SignedManifestSchema.parse(JSON.parse((await store.get(blob))?.data.toString('utf8') ?? '{}'));
    const chunks = manifest.streams[0]?.chunks ?? [];
    expect(chunks.map((c) => c.index)).toEqual([0, 1]);
    expect(chunks[0]?.speakers).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, crowd(i + 1)]));
    expect(chunks[1]?.speakers).toEqual([[11, [7]]]);
    s.client.close();
  });
});
