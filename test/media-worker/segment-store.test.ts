// The worker's local-file sink: group-committed segment files with write-once semantics and crash recovery.
import { appendFile, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../media-worker/src/storage/object-store.js';
import { SegmentObjectStore } from '../../media-worker/src/storage/segment-object-store.js';
import { tempDir } from '../helpers/stack-env.js';

function chunk(i: number): Buffer {
  const b = Buffer.alloc(64_000, i & 0xff);
  b.writeUInt32BE(i, 0);
  return b;
}

async function listAll(store: SegmentObjectStore, prefix = ''): Promise<Array<{ name: string; metadata: Record<string, string> }>> {
  const out = [];
  for await (const o of store.list(prefix)) out.push(o);
  return out;
}

describe('segment object store (file sink)', () => {
  it('is write-once: same bytes are a no-op, other bytes a conflict, also for puts of one name in one batch', async () => {
    const store = new SegmentObjectStore(await tempDir('seg'));
    expect(await store.putIfAbsent('a/b/00000000.pcm', Buffer.from('abc'), { metadata: { k: 'v' } })).toBe('created');
    expect(await store.putIfAbsent('a/b/00000000.pcm', Buffer.from('abc'))).toBe('existed');
    await expect(store.putIfAbsent('a/b/00000000.pcm', Buffer.from('xyz'))).rejects.toBeInstanceOf(ConflictError);
    expect(await store.get('a/b/00000000.pcm')).toEqual({ data: Buffer.from('abc'), metadata: { k: 'v' } });
    const same = await Promise.all([store.putIfAbsent('c/1.pcm', chunk(1)), store.putIfAbsent('c/1.pcm', chunk(1))]);
    expect(same.sort()).toEqual(['created', 'existed']);
    const mixed = await Promise.allSettled([store.putIfAbsent('c/2.pcm', chunk(2)), store.putIfAbsent('c/2.pcm', chunk(3))]);
    expect(mixed.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await store.get('c/missing.pcm')).toBeUndefined();
    await store.close();
  });

  it('batches concurrent puts, and a reopened store finds every object with its metadata', async () => {
    const dir = await tempDir('seg');
    const store = new SegmentObjectStore(dir, { segmentBytes: 1_000_000 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.putIfAbsent(`s/${i.toString().padStart(3, '0')}.pcm`, chunk(i), { metadata: { i: String(i) } })));
    expect(store.stats.records).toBe(200);
    expect(store.stats.batches).toBeLessThan(200); // group commit: puts share writes and fsyncs
    expect(await store.putIfAbsent('s/200.pcm', chunk(200), { metadata: { i: '200' } })).toBe('created');
    await store.close();
    expect((await readdir(dir)).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(1); // rotated segments

    const again = new SegmentObjectStore(dir);
    const listed = await listAll(again, 's/');
    expect(listed.length).toBe(201);
    expect(listed[7]).toEqual({ name: 's/007.pcm', metadata: { i: '7' } });
    expect((await again.get('s/123.pcm'))?.data.equals(chunk(123))).toBe(true);
    expect(await again.putIfAbsent('s/123.pcm', chunk(123))).toBe('existed');
    await expect(again.putIfAbsent('s/123.pcm', chunk(124))).rejects.toBeInstanceOf(ConflictError);
    await again.close();
  });

  it('cuts off a torn record at the end of the last segment (crash mid-append) and keeps appending', async () => {
    const dir = await tempDir('seg');
    const store = new SegmentObjectStore(dir);
    await store.putIfAbsent('t/0.pcm', chunk(0));
    await store.putIfAbsent('t/1.pcm', chunk(1));
    await store.close();
    const seg = join(dir, 'seg-00000000.log');
    const full = (await stat(seg)).size;
    await truncate(seg, full - 1000); // the second record lost its tail
    await appendFile(seg, Buffer.alloc(10, 0xee)); // and garbage after it

    const again = new SegmentObjectStore(dir);
    expect((await listAll(again)).map((o) => o.name)).toEqual(['t/0.pcm']);
    expect(await again.putIfAbsent('t/1.pcm', chunk(1))).toBe('created'); // the replayed chunk is written again
    await again.close();
    const third = new SegmentObjectStore(dir);
    expect((await listAll(third)).map((o) => o.name)).toEqual(['t/0.pcm', 't/1.pcm']);
    expect((await third.get('t/1.pcm'))?.data.equals(chunk(1))).toBe(true);
    await third.close();
  });

  it('caps a batch by bytes, writes the next batch while one syncs, and loses no put that arrives meanwhile', async () => {
    const dir = await tempDir('seg');
    const store = new SegmentObjectStore(dir, { maxBatchBytes: 200_000 }); // 3 chunks of 64 KB per batch
    const first = Array.from({ length: 30 }, (_, i) => store.putIfAbsent(`p/${i}.pcm`, chunk(i)));
    const late: Array<Promise<unknown>> = [];
    void first[0]?.then(() => {
      for (let i = 30; i < 35; i++) late.push(store.putIfAbsent(`p/${i}.pcm`, chunk(i)));
    });
    await Promise.all(first);
    await Promise.all(late);
    expect(late.length).toBe(5);
    expect(store.stats.records).toBe(35);
    expect(store.stats.batches).toBeGreaterThanOrEqual(12); // 30 / 3, plus the late ones
    await store.close();
    const again = new SegmentObjectStore(dir);
    expect((await listAll(again, 'p/')).length).toBe(35);
    expect((await again.get('p/33.pcm'))?.data.equals(chunk(33))).toBe(true);
    await again.close();
  });
});
