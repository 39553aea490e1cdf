import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../contracts/bridge/index.js';
import { BoundedQueue } from '../../media-worker/src/ingest/async-queue.js';
import { ChunkAssembler, chunkIndexOf, framesPerChunk, type ChunkData } from '../../media-worker/src/ingest/chunker.js';
import type { GapRecord } from '../../media-worker/src/ingest/frame.js';
import { RecordingGate } from '../../media-worker/src/ingest/gate.js';
import { checkChain, genesisHash, link, sha256Hex, type ChunkRecord } from '../../media-worker/src/ingest/hash-chain.js';
import { StreamSequencer, splitTimestamp } from '../../media-worker/src/ingest/sequencer.js';

/** One AUDIO frame as on the wire; its body (type byte) starts at offset 4. */
function audio(seq: number, speakers: number[] = [], timestamp = BigInt(seq) * 200_000n): Buffer {
  return encodeMessage({ type: 'audio', streamIndex: 0, seq, timestamp, flags: seq % 7 === 0 ? 1 : 0, activeSpeakers: speakers, payload: Buffer.alloc(640, seq & 0xff) });
}

function addTo(a: ChunkAssembler, seq: number, speakers: number[] = [], gaps: GapRecord[] = []): ChunkData | undefined {
  const f = audio(seq, speakers);
  const [hi, lo] = splitTimestamp(BigInt(seq) * 200_000n);
  return a.add(seq, hi, lo, f, 4, f.length - 640, gaps);
}

const alloc = (bytes: number): Buffer => Buffer.alloc(bytes);

function records(n: number): ChunkRecord[] {
  const out: ChunkRecord[] = [];
  let prev = genesisHash('call-1', 'mixed');
  for (let i = 0; i < n; i++) {
    const data = Buffer.alloc(64, i);
    const r = link({ callId: 'call-1', streamId: 'mixed', index: i, firstSeq: i * 100 + 1, lastSeq: i * 100 + 100, frames: 100, bytes: 64, sha256: sha256Hex(data), firstTimestamp: '0', lastTimestamp: '1', silentFrames: 0, gaps: [] }, prev);
    out.push(r);
    prev = r.chainHash;
  }
  return out;
}

describe('hash chain', () => {
  it('links each record to the previous chain hash and verifies from the genesis', () => {
    const rs = records(5);
    expect(rs[0]?.prevChainHash).toBe(genesisHash('call-1', 'mixed'));
    expect(rs[3]?.prevChainHash).toBe(rs[2]?.chainHash);
    expect(checkChain('call-1', 'mixed', rs)).toEqual({ ok: true, head: rs[4]?.chainHash });
    expect(genesisHash('call-1', 'mixed')).not.toBe(genesisHash('call-1', 'unmixed-5'));
  });

  it('detects a changed, dropped, or reordered chunk and names it', () => {
    const rs = records(5);
    const changed = rs.map((r) => (r.index === 2 ? { ...r, sha256: sha256Hex('other') } : r));
    expect(checkChain('call-1', 'mixed', changed)).toMatchObject({ ok: false, index: 2, reason: /chainHash/ });
    const dropped = rs.filter((r) => r.index !== 1);
    expect(checkChain('call-1', 'mixed', dropped)).toMatchObject({ ok: false, index: 2, reason: /prevChainHash/ });
    const swapped = [rs[0]!, rs[2]!, rs[1]!, rs[3]!];
    expect(checkChain('call-1', 'mixed', swapped)).toMatchObject({ ok: false, index: 2 });
    expect(checkChain('call-2', 'mixed', rs)).toMatchObject({ ok: false, index: 0 });
  });
});

describe('chunk assembler', () => {
  it('cuts chunks at boundaries fixed by seq and keeps payload order', () => {
    const f = framesPerChunk(2000);
    expect(f).toBe(100);
    expect(chunkIndexOf(1, f)).toBe(0);
    expect(chunkIndexOf(100, f)).toBe(0);
    expect(chunkIndexOf(101, f)).toBe(1);
    const c = new ChunkAssembler('mixed', 100, alloc);
    const out: ChunkData[] = [];
    for (let s = 1; s <= 250; s++) {
      const done = addTo(c, s, s < 50 ? [1] : [1, 2]);
      if (done) out.push(done);
    }
    expect(out.map((x) => [x.index, x.firstSeq, x.lastSeq, x.frames, x.silentFrames])).toEqual([[0, 1, 100, 100, 14], [1, 101, 200, 100, 14]]);
    expect(out[0]?.speakers).toEqual([[1, [1]], [50, [1, 2]]]);
    expect(out[1]?.speakers).toEqual([[101, [1, 2]]]);
    expect(out[0]?.data.subarray(640 * 9, 640 * 10)).toEqual(Buffer.alloc(640, 10));
    expect([out[1]?.firstTimestamp, out[1]?.lastTimestamp]).toEqual([101n * 200_000n, 200n * 200_000n]);
    const last = c.flush();
    expect([last?.index, last?.firstSeq, last?.lastSeq, last?.data.length]).toEqual([2, 201, 250, 50 * 640]);
    expect(c.flush()).toBeUndefined();
    expect(() => framesPerChunk(30)).toThrow();
  });

  it('closes a chunk when a frame of a later chunk arrives (seq gap across a boundary)', () => {
    const c = new ChunkAssembler('mixed', 10, alloc);
    for (let s = 1; s <= 7; s++) expect(addTo(c, s)).toBeUndefined();
    const done = addTo(c, 25, [], [{ fromSeq: 8, toSeq: 24, reason: 'missingSeq' }]);
    expect([done?.index, done?.lastSeq, done?.frames]).toEqual([0, 7, 7]);
    expect(c.flush()?.gaps).toEqual([{ fromSeq: 8, toSeq: 24, reason: 'missingSeq' }]);
  });

  it('with the sequencer: duplicates and late (out-of-order) frames are dropped, the chunk holds accepted payloads in seq order', () => {
    const c = new ChunkAssembler('mixed', 5, alloc);
    const s = new StreamSequencer();
    const gaps: GapRecord[] = [];
    const out: ChunkData[] = [];
    for (const seq of [1, 2, 2, 4, 3, 5, 1, 6]) {
      const [hi, lo] = splitTimestamp(BigInt(seq) * 200_000n);
      if (!s.accept(seq, hi, lo, gaps)) continue;
      const f = audio(seq);
      const done = c.add(seq, hi, lo, f, 4, f.length - 640, gaps);
      gaps.length = 0;
      if (done) out.push(done);
    }
    expect(out.map((x) => [x.index, x.firstSeq, x.lastSeq, x.frames])).toEqual([[0, 1, 5, 4]]);
    expect(out[0]?.gaps).toEqual([{ fromSeq: 3, toSeq: 3, reason: 'missingSeq' }]);
    expect(out[0]?.data).toEqual(Buffer.concat([1, 2, 4, 5].map((n) => Buffer.alloc(640, n))));
    expect(c.flush()?.firstSeq).toBe(6);
  });

  it('hands back the open buffer on discard', () => {
    const bufs: Buffer[] = [];
    const c = new ChunkAssembler('mixed', 10, (n) => {
      const b = Buffer.alloc(n);
      bufs.push(b);
      return b;
    });
    addTo(c, 1);
    expect(c.discard()).toBe(bufs[0]);
    expect(c.flush()).toBeUndefined();
  });
});

describe('sequencer', () => {
  const at = (s: StreamSequencer, seq: number, ts: bigint): GapRecord[] | 'duplicate' => {
    const gaps: GapRecord[] = [];
    const [hi, lo] = splitTimestamp(ts);
    return s.accept(seq, hi, lo, gaps) ? gaps : 'duplicate';
  };
  it('drops replays, reports missing seqs and timestamp jumps', () => {
    const s = new StreamSequencer();
    expect(at(s, 1, 0n)).toEqual([]);
    expect(at(s, 2, 200_000n)).toEqual([]);
    expect(at(s, 2, 200_000n)).toBe('duplicate');
    expect(at(s, 1, 0n)).toBe('duplicate');
    expect(at(s, 5, 800_000n)).toEqual([{ fromSeq: 3, toSeq: 4, reason: 'missingSeq' }]);
    expect(at(s, 6, 800_000n + 200_000n * 10n)).toEqual([{ fromSeq: 6, toSeq: 6, reason: 'timestampJump' }]);
    const resumed = new StreamSequencer(100);
    expect(at(resumed, 100, 0n)).toBe('duplicate');
    expect(at(resumed, 101, 0n)).toEqual([]);
  });

  it('computes drift across the 32-bit boundary of large (FILETIME-like) timestamps', () => {
    const base = 133_000_000_000_000_000n + 0xffff_ff00n;
    const s = new StreamSequencer(10, base);
    expect(at(s, 11, base + 200_000n)).toEqual([]);
    expect(at(s, 12, base + 400_000n + 600_000n)).toEqual([]); // 3 frames of drift: tolerated
    expect(at(s, 13, base + 600_000n + 600_000n + 800_001n)).toEqual([{ fromSeq: 13, toSeq: 13, reason: 'timestampJump' }]);
    expect(at(s, 14, base - 1n)).toEqual([{ fromSeq: 14, toSeq: 14, reason: 'timestampJump' }]);
  });
});

describe('bounded queue', () => {
  it('refuses items beyond capacity and yields in order to an async consumer', async () => {
    const q = new BoundedQueue<number>(3);
    expect([q.tryPush(1), q.tryPush(2), q.tryPush(3), q.tryPush(4)]).toEqual([true, true, true, false]);
    const got: number[] = [];
    const consumer = (async () => {
      for await (const n of q) got.push(n);
    })();
    await new Promise((r) => setImmediate(r));
    expect(q.tryPush(5)).toBe(true);
    q.close();
    q.close();
    expect(q.tryPush(6)).toBe(false);
    await consumer;
    expect(got).toEqual([1, 2, 3, 5]);
  });
});

describe('recording gate', () => {
  it('settles waiters once; revoke is final', async () => {
    const g = new RecordingGate();
    const w = g.wait();
    g.grant();
    expect(await w).toBe('granted');
    g.revoke();
    g.grant();
    expect(g.state).toBe('revoked');
  });
});
