import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../media-worker/src/ingest/async-queue.js';
import { Chunker, chunkIndexOf, framesPerChunk } from '../../media-worker/src/ingest/chunker.js';
import type { Frame } from '../../media-worker/src/ingest/frame.js';
import { RecordingGate } from '../../media-worker/src/ingest/gate.js';
import { checkChain, genesisHash, link, sha256Hex, type ChunkRecord } from '../../media-worker/src/ingest/hash-chain.js';
import { StreamSequencer } from '../../media-worker/src/ingest/sequencer.js';

function frame(seq: number, speakers: number[] = []): Frame {
  const payload = Buffer.alloc(640, seq & 0xff);
  return { seq, timestamp: BigInt(seq) * 200_000n, flags: seq % 7 === 0 ? 1 : 0, activeSpeakers: speakers, payload };
}

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

describe('chunker', () => {
  it('cuts chunks at boundaries fixed by seq and keeps payload order', () => {
    const f = framesPerChunk(2000);
    expect(f).toBe(100);
    expect(chunkIndexOf(1, f)).toBe(0);
    expect(chunkIndexOf(100, f)).toBe(0);
    expect(chunkIndexOf(101, f)).toBe(1);
    const c = new Chunker('mixed', 100);
    const out = [];
    for (let s = 1; s <= 250; s++) {
      const done = c.add(frame(s, s < 50 ? [1] : [1, 2]), []);
      if (done) out.push(done);
    }
    expect(out.map((x) => [x.index, x.firstSeq, x.lastSeq, x.frames])).toEqual([[0, 1, 100, 100], [1, 101, 200, 100]]);
    expect(out[0]?.speakers).toEqual([[1, [1]], [50, [1, 2]]]);
    expect(out[0]?.data.subarray(640 * 9, 640 * 10)).toEqual(Buffer.alloc(640, 10));
    const last = c.flush();
    expect([last?.index, last?.firstSeq, last?.lastSeq, last?.data.length]).toEqual([2, 201, 250, 50 * 640]);
    expect(c.flush()).toBeUndefined();
    expect(() => framesPerChunk(30)).toThrow();
  });

  it('closes a chunk when a frame of a later chunk arrives (seq gap across a boundary)', () => {
    const c = new Chunker('mixed', 10);
    for (let s = 1; s <= 7; s++) expect(c.add(frame(s), [])).toBeUndefined();
    const done = c.add(frame(25), [{ fromSeq: 8, toSeq: 24, reason: 'missingSeq' }]);
    expect([done?.index, done?.lastSeq, done?.frames]).toEqual([0, 7, 7]);
    expect(c.flush()?.gaps).toEqual([{ fromSeq: 8, toSeq: 24, reason: 'missingSeq' }]);
  });
});

describe('sequencer', () => {
  it('drops replays, reports missing seqs and timestamp jumps', () => {
    const s = new StreamSequencer();
    expect(s.accept(1, 0n)).toEqual({ kind: 'accept', gaps: [] });
    expect(s.accept(2, 200_000n)).toEqual({ kind: 'accept', gaps: [] });
    expect(s.accept(2, 200_000n)).toEqual({ kind: 'duplicate' });
    expect(s.accept(1, 0n)).toEqual({ kind: 'duplicate' });
    expect(s.accept(5, 800_000n)).toEqual({ kind: 'accept', gaps: [{ fromSeq: 3, toSeq: 4, reason: 'missingSeq' }] });
    expect(s.accept(6, 800_000n + 200_000n * 10n)).toEqual({ kind: 'accept', gaps: [{ fromSeq: 6, toSeq: 6, reason: 'timestampJump' }] });
    const resumed = new StreamSequencer(100);
    expect(resumed.accept(100, 0n).kind).toBe('duplicate');
    expect(resumed.accept(101, 0n)).toEqual({ kind: 'accept', gaps: [] });
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
