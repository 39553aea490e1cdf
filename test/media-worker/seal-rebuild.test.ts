// A stream keeps no per-chunk list in memory: its chunk list is rebuilt from storage at seal and cross-checked against
// the in-memory head and counters (media-worker/src/session/rebuilt-check.ts). Against the run's Azurite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../media-worker/src/clients.js';
import type { WorkerConfig } from '../../media-worker/src/config.js';
import { chunkMetadata } from '../../media-worker/src/ingest/chunk-metadata.js';
import { genesisHash, link, sha256Hex } from '../../media-worker/src/ingest/hash-chain.js';
import { emptyProgress, progressOf } from '../../media-worker/src/ingest/stream-progress.js';
import { SignedManifestSchema } from '../../media-worker/src/manifest/manifest.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { checkRebuilt } from '../../media-worker/src/session/rebuilt-check.js';
import { chunkBlobName, manifestBlobName } from '../../media-worker/src/storage/naming.js';
import type { ObjectStore } from '../../media-worker/src/storage/object-store.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { api, expectedSha, frame, reserveAndConnect, sendFrames, startTestWorker, waitFor } from './helpers/worker-harness.js';

const CHUNKS = 200;
let worker: RunningWorker;
let config: WorkerConfig;
let store: ObjectStore;

beforeAll(async () => {
  // The smallest chunk the config allows: one 20 ms frame per chunk, so 200 frames are 200 chunks.
  ({ worker, config } = await startTestWorker({ MEDIA_WORKER_CHUNK_MS: '20' }));
  store = await createObjectStore(config);
});

afterAll(async () => {
  await worker?.close();
});

/** Own properties of `o` that are lists or maps holding at least `n` entries. */
function listsOfAtLeast(o: object, n: number): string[] {
  return Object.entries(o)
    .filter(([, v]) => (Array.isArray(v) && v.length >= n) || ((v instanceof Map || v instanceof Set) && v.size >= n))
    .map(([k]) => k);
}

describe('chunk list rebuilt from storage at seal', () => {
  it('keeps no per-chunk list for a stream of 200 chunks, and seals every chunk into a manifest verify accepts', async () => {
    const s = await reserveAndConnect(worker.controlUrl);
    expect((await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' })).status).toBe(200);
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, CHUNKS);
    await s.client.waitAcked('mixed', CHUNKS, 60_000);
    const session = worker.registry.get(s.sessionId);
    const stream = session?.streams.get('mixed');
    if (!session || !stream) throw new Error('session or stream missing');
    await waitFor(() => stream.progress.chunks === CHUNKS, 10_000, 'every chunk counted');

    // The stream holds counters and its head, not one entry per chunk.
    expect('records' in stream).toBe(false);
    expect(listsOfAtLeast(stream, 20)).toEqual([]);
    expect(listsOfAtLeast(stream.chunks, 20)).toEqual([]); // the queue of filled chunks keeps none it handed out
    expect(stream.perChunkEntries).toBeLessThanOrEqual(stream.options.maxPendingCommits);
    expect(stream.progress).toMatchObject({ chunks: CHUNKS, frames: CHUNKS, bytes: CHUNKS * 640, firstSeq: 1, lastSeq: CHUNKS, lastIndex: CHUNKS - 1 });
    expect(session.summaries()).toEqual([expect.objectContaining({ streamId: 'mixed', chunks: CHUNKS, frames: CHUNKS, firstSeq: 1, lastSeq: CHUNKS, chainHead: stream.head })]);

    s.client.endStream('mixed');
    const sealed = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.status).toBe(200);
    expect(sealed.json).toMatchObject({ state: 'sealed', streams: [{ streamId: 'mixed', chunks: CHUNKS, frames: CHUNKS, firstSeq: 1, lastSeq: CHUNKS, chainHead: stream.head }] });

    const stored = await store.get(manifestBlobName(session.location));
    const manifest = SignedManifestSchema.parse(JSON.parse(stored?.data.toString('utf8') ?? 'null'));
    const chunks = manifest.streams[0]?.chunks ?? [];
    expect(chunks.map((c) => c.index)).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));
    expect(chunks.every((c, i) => c.firstSeq === i + 1 && c.name === chunkBlobName(session.location, 'mixed', i))).toBe(true);
    expect(chunks.map((c) => c.speakers)).toEqual(Array.from({ length: CHUNKS }, (_, i) => [[i + 1, [1]]]));
    expect(manifest.streams[0]?.chainHead).toBe(stream.head);

    const verifier = await Ed25519FileSigner.fromFile(config.signingKeyFile, { createIfMissing: false });
    const verdict = await verifyRecording({ callId: s.callId }, { store, verifier });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.streams).toEqual([expect.objectContaining({ streamId: 'mixed', chunks: CHUNKS, frames: CHUNKS, sha256: expectedSha('mixed', 1, CHUNKS) })]);
    s.client.close();
  });

  it('refuses to seal (500 manifestMismatch, no manifest) when storage holds a chunk the stream never committed', async () => {
    const s = await reserveAndConnect(worker.controlUrl);
    await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' });
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 10);
    await s.client.waitAcked('mixed', 10, 30_000);
    const session = worker.registry.get(s.sessionId);
    const stream = session?.streams.get('mixed');
    if (!session || !stream) throw new Error('session or stream missing');
    await waitFor(() => stream.progress.chunks === 10, 10_000, 'every chunk counted');

    // Another writer stores chunk 10, correctly chained after the head: the rebuilt list has 11 chunks, memory 10.
    const f = frame('mixed', 11);
    const record = link({
      callId: s.callId, streamId: 'mixed', index: 10, firstSeq: 11, lastSeq: 11, frames: 1, bytes: 640, sha256: sha256Hex(f.payload),
      firstTimestamp: f.timestamp.toString(), lastTimestamp: f.timestamp.toString(), silentFrames: 0, gaps: [],
    }, stream.progress.chainHead);
    await store.putIfAbsent(chunkBlobName(session.location, 'mixed', 10), f.payload, { metadata: chunkMetadata(record, [[11, [1]]]) });

    s.client.endStream('mixed');
    const sealed = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.status).toBe(500);
    expect(sealed.json).toMatchObject({ error: 'manifestMismatch' });
    expect(String((sealed.json as { reason?: string }).reason)).toContain('11 chunks stored, 10 committed');
    expect(await store.get(manifestBlobName(session.location))).toBeUndefined();
    s.client.close();
  });
});

describe('checkRebuilt (pure)', () => {
  const records = Array.from({ length: 3 }, (_, i) => i).reduce<ReturnType<typeof link>[]>((out, i) => {
    out.push(link({ callId: 'c', streamId: 's', index: i, firstSeq: i * 2 + 1, lastSeq: i * 2 + 2, frames: 2, bytes: 1280, sha256: sha256Hex(String(i)),
      firstTimestamp: '1', lastTimestamp: '2', silentFrames: 0, gaps: [] }, out.at(-1)?.chainHash ?? genesisHash('c', 's')));
    return out;
  }, []);

  it('accepts a list that matches the counters and head, and names each difference otherwise', () => {
    expect(checkRebuilt('s', progressOf('c', 's', records), records)).toEqual([]);
    expect(checkRebuilt('s', emptyProgress('c', 's'), [])).toEqual([]);
    expect(checkRebuilt('s', progressOf('c', 's', records), records.slice(0, 2))).toEqual([
      's: 2 chunks stored, 3 committed', 's: 4 frames stored, 6 committed', expect.stringContaining('s: stored chain ends on'),
    ]);
    expect(checkRebuilt('s', { ...progressOf('c', 's', records), chainHead: genesisHash('c', 's') }, records)).toEqual([expect.stringContaining('committed head is')]);
  });
});
