// The allocation-free ingest path: in-place frame splitting, chunk buffer pool, and one stream's ingest (gate, credit,
// de-dup, chunk assembly) against the real segment store.
import { describe, expect, it } from 'vitest';
import { AudioBody, FrameSplitter, audioPayloadStart, decodeBody, encodeMessage, type BridgeMessage } from '../../contracts/bridge/index.js';
import { RecordingGate } from '../../media-worker/src/ingest/gate.js';
import { recordFromMetadata } from '../../media-worker/src/ingest/chunk-metadata.js';
import { sha256Hex, type ChunkRecord } from '../../media-worker/src/ingest/hash-chain.js';
import { StreamIngest } from '../../media-worker/src/ingest/stream-ingest.js';
import { createLogger } from '../../media-worker/src/log.js';
import { ChunkBufferPool } from '../../media-worker/src/storage/chunk-pool.js';
import { SegmentObjectStore } from '../../media-worker/src/storage/segment-object-store.js';
import { tempDir } from '../helpers/stack-env.js';

function pcm(seq: number): Buffer {
  const b = Buffer.alloc(640, seq & 0xff);
  b.writeUInt32BE(seq, 0);
  return b;
}

function audio(seq: number, speakers: number[] = []): BridgeMessage {
  return { type: 'audio', streamIndex: 2, seq, timestamp: 133_000_000_000_000_000n + BigInt(seq) * 200_000n, flags: 0, activeSpeakers: speakers, payload: pcm(seq) };
}

const messages: BridgeMessage[] = [
  { type: 'streamStart', streamIndex: 2, streamId: 'mixed', kind: 'mixed', format: 'pcm16k', sourceId: 0xffff_ffff },
  ...Array.from({ length: 40 }, (_, i) => audio(i + 1, i % 3 === 0 ? [7, 9] : [])),
  { type: 'ping', nonce: 5n },
  { type: 'streamEnd', streamIndex: 2, lastSeq: 40, reason: 'normal' },
];

/** Splits `wire` with `sizes` (cycled) and returns every frame decoded, and how many were delivered in place. */
function split(wire: Buffer, sizes: number[]): { out: BridgeMessage[]; inPlace: number } {
  const s = new FrameSplitter();
  const out: BridgeMessage[] = [];
  let inPlace = 0;
  let off = 0;
  for (let i = 0; off < wire.length; i++) {
    const piece = wire.subarray(off, off + (sizes[i % sizes.length] as number));
    off += piece.length;
    s.push(piece, (buf, start, end) => {
      if (buf.buffer === piece.buffer) inPlace++;
      const m = decodeBody(buf, start, end);
      out.push(m.type === 'audio' ? { ...m, payload: Buffer.from(m.payload) } : m); // views must not outlive the call
    });
  }
  expect(s.bufferedBytes).toBe(0);
  return { out, inPlace };
}

describe('frame splitter (zero-copy)', () => {
  const wire = Buffer.concat(messages.map(encodeMessage));

  it('yields every frame once for merged reads, one-byte reads and random splits', () => {
    const merged = split(wire, [wire.length]);
    expect(merged.out).toEqual(messages);
    expect(merged.inPlace).toBe(messages.length); // nothing copied when the frames lie in one read
    expect(split(wire, [1]).out).toEqual(messages);
    expect(split(wire, [3, 700, 2, 661, 5000, 1322, 17]).out).toEqual(messages);
    let seed = 11;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 10; round++) {
      const sizes = Array.from({ length: 30 }, () => 1 + Math.floor(rnd() * 2000));
      const r = split(wire, sizes);
      expect(r.out).toEqual(messages);
      expect(r.inPlace).toBeGreaterThan(0);
    }
  });

  it('reads AUDIO fields in place', () => {
    const f = encodeMessage(audio(77, [7, 9]));
    const start = 4;
    const payloadStart = audioPayloadStart(f, start, f.length);
    expect(f.readUInt32BE(start + AudioBody.seq)).toBe(77);
    expect(f[start + AudioBody.speakerCount]).toBe(2);
    expect(f.subarray(payloadStart)).toEqual(pcm(77));
    expect(() => audioPayloadStart(f, start, f.length - 1)).toThrow(/audio payload must be 640/);
  });

  it('rejects a bad length even when it arrives split', () => {
    const s = new FrameSplitter();
    s.push(Buffer.from([0, 2]), () => undefined);
    expect(() => s.push(Buffer.from([0, 0, 0x11]), () => undefined)).toThrow(/frame length/);
  });
});

describe('chunk buffer pool', () => {
  it('reuses a buffer only when every reference is released, also through a view of it', () => {
    const pool = new ChunkBufferPool(2);
    const a = pool.acquire(64_000);
    expect(pool.owns(a.subarray(0, 640))).toBe(true);
    pool.retain(a.subarray(0, 6400)); // a storage write of a short last chunk
    pool.release(a); // the stream is done with it
    const b = pool.acquire(64_000);
    const c = pool.acquire(64_000); // a new slab: `a` is still in flight, never handed out
    expect([b.buffer === a.buffer && b.byteOffset === a.byteOffset, c.byteOffset === a.byteOffset && c.buffer === a.buffer]).toEqual([false, false]);
    pool.release(a.subarray(0, 6400)); // the write settled
    expect(pool.owns(a)).toBe(false);
    const d = pool.acquire(64_000);
    expect(d.buffer === a.buffer && d.byteOffset === a.byteOffset).toBe(true);
    expect(pool.stats).toEqual({ allocated: 4, inUse: 3, free: 1 });
    for (const x of [b, c, d]) pool.release(x);
    pool.release(d); // already free: no-op
    pool.retain(Buffer.alloc(10)); // foreign buffers are ignored
    pool.release(Buffer.alloc(10));
    expect(pool.stats).toEqual({ allocated: 4, inUse: 0, free: 4 });
  });

  it('keeps slots of different sizes apart and writes into one slot never touch its neighbours', () => {
    const pool = new ChunkBufferPool(4);
    const xs = [pool.acquire(100), pool.acquire(100), pool.acquire(200)];
    xs.forEach((x, i) => x.fill(i + 1));
    expect(xs.map((x) => x.length)).toEqual([100, 100, 200]);
    expect([...new Set(xs[0])]).toEqual([1]);
    expect([...new Set(xs[1])]).toEqual([2]);
    expect(pool.stats.allocated).toBe(8);
  });
});

/** The records stored with chunks 0..n-1 (the stream keeps none in memory). */
async function storedRecords(store: SegmentObjectStore, n: number): Promise<Array<ChunkRecord | undefined>> {
  const out: Array<ChunkRecord | undefined> = [];
  for (let k = 0; k < n; k++) {
    const obj = await store.get(`c/mixed/${k}.pcm`);
    out.push(obj ? recordFromMetadata(obj.metadata) : undefined);
  }
  return out;
}

describe('stream ingest (in-place frames, held chunks, credit)', () => {
  async function setup(opts: { maxPendingCommits?: number } = {}): Promise<{
    stream: StreamIngest; gate: RecordingGate; store: SegmentObjectStore; pool: ChunkBufferPool; credit: () => number; acks: number[]; feed: (seqs: number[]) => void;
  }> {
    const store = new SegmentObjectStore(await tempDir('ingest'));
    const gate = new RecordingGate();
    const pool = new ChunkBufferPool();
    let credit = 0;
    const acks: number[] = [];
    const stream = new StreamIngest({
      callId: 'call-1', streamId: 'mixed', kind: 'mixed', sourceId: null, framesPerChunk: 10, queueCapacity: 100,
      maxPendingCommits: opts.maxPendingCommits ?? 2, chunkName: (i) => `c/mixed/${i}.pcm`,
      committer: { commit: (name, data, metadata) => store.putIfAbsent(name, data, { metadata }) },
      gate, log: createLogger({}, 'silent'), onConsumed: () => credit++, onDurable: (seq) => acks.push(seq), onGap: () => undefined,
      retryDelayMs: 10, pool,
    });
    const feed = (seqs: number[]): void => {
      // Several frames per "socket read", as the connection passes them.
      const wire = Buffer.concat(seqs.map((s) => encodeMessage(audio(s))));
      new FrameSplitter().push(wire, (buf, start, end) => stream.addAudio(buf, start, audioPayloadStart(buf, start, end)));
    };
    return { stream, gate, store, pool, credit: () => credit, acks, feed };
  }

  it('holds chunks before the grant and withholds credit past the limit; stores exact chunks after it', async () => {
    const { stream, gate, store, pool, credit, acks, feed } = await setup();
    feed(Array.from({ length: 35 }, (_, i) => i + 1)); // 3 full chunks + 5 frames
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.get('c/mixed/0.pcm')).toBeUndefined(); // nothing persisted before the grant
    expect(acks).toEqual([]);
    expect(credit()).toBe(19); // credit stops once 2 filled chunks are held (from the frame that filled the 2nd)
    expect(stream.bufferedBytes).toBe(4 * 6400);
    gate.grant();
    await stream.end();
    expect(credit()).toBe(35);
    expect(acks.at(-1)).toBe(35);
    const all = Array.from({ length: 35 }, (_, i) => pcm(i + 1));
    for (let k = 0; k < 4; k++) {
      const obj = await store.get(`c/mixed/${k}.pcm`);
      expect(obj?.data).toEqual(Buffer.concat(all.slice(k * 10, k * 10 + 10)));
    }
    const records = await storedRecords(store, 4);
    expect(records.map((r) => [r?.index, r?.firstSeq, r?.lastSeq, r?.frames])).toEqual([[0, 1, 10, 10], [1, 11, 20, 10], [2, 21, 30, 10], [3, 31, 35, 5]]);
    expect(records[3]?.sha256).toBe(sha256Hex(Buffer.concat(all.slice(30))));
    expect(stream.progress).toMatchObject({ chunks: 4, frames: 35, bytes: 35 * 640, firstSeq: 1, lastSeq: 35, lastIndex: 3, chainHead: records[3]?.chainHash });
    expect(pool.stats.inUse).toBe(0); // every buffer back after its commit
    await store.close();
  });

  it('drops duplicates and late frames, records the missing seq, and reuses buffers across chunks', async () => {
    const { stream, gate, store, pool, feed } = await setup();
    gate.grant();
    feed([1, 2, 3, 2, 5, 4, 6, 7, 8, 9, 10, 1]);
    for (let n = 11; n <= 60; n += 10) {
      feed(Array.from({ length: 10 }, (_, i) => n + i));
      while (stream.durableSeq < n + 9) await new Promise((r) => setTimeout(r, 2)); // wait for the ack, not a time
    }
    await stream.end();
    expect(stream.framesDuplicate).toBe(3);
    const records = await storedRecords(store, 7);
    expect(records[0]).toMatchObject({ frames: 9, gaps: [{ fromSeq: 4, toSeq: 4, reason: 'missingSeq' }] });
    expect((await store.get('c/mixed/0.pcm'))?.data).toEqual(Buffer.concat([1, 2, 3, 5, 6, 7, 8, 9, 10].map(pcm)));
    expect(records.filter((r) => r !== undefined).length).toBe(6);
    expect(stream.progress.chunks).toBe(6);
    expect(pool.stats.allocated).toBe(16); // one slab: buffers of durable chunks were reused
    expect(pool.stats.inUse).toBe(0);
    await store.close();
  });

  it('discards held chunks when recording is revoked, and returns their credit', async () => {
    const { stream, gate, store, pool, credit, feed } = await setup();
    feed(Array.from({ length: 25 }, (_, i) => i + 1));
    gate.revoke();
    stream.discardQueued();
    expect(credit()).toBe(25);
    feed([26, 27]);
    expect(credit()).toBe(27);
    await stream.end();
    expect(await store.get('c/mixed/0.pcm')).toBeUndefined();
    expect(pool.stats.inUse).toBe(0);
    await store.close();
  });
});
