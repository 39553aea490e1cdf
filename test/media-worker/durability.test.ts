// Acks only after durable; spill when Blob is slow; conditional create makes retries no-ops.
import { afterAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../media-worker/src/clients.js';
import { ConflictError, type ObjectStore, type PutOptions, type PutOutcome } from '../../media-worker/src/storage/object-store.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { uniqueName } from '../helpers/stack-env.js';
import { api, reserveAndConnect, sendFrames, startTestWorker, testConfig, waitFor } from './helpers/worker-harness.js';

/** The real Azurite store, with puts held until the test releases them (a slow storage account). */
class HeldStore implements ObjectStore {
  readonly kind = 'held-blob';
  private release: () => void = () => undefined;
  private gate: Promise<void>;
  held = 0;
  constructor(private readonly inner: ObjectStore) {
    this.gate = new Promise((r) => (this.release = r));
  }
  open(): void {
    this.release();
  }
  async putIfAbsent(name: string, data: Buffer, options: PutOptions = {}): Promise<PutOutcome> {
    this.held++;
    await new Promise<void>((resolve, reject) => {
      void this.gate.then(resolve);
      options.abortSignal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    return this.inner.putIfAbsent(name, data, options);
  }
  get(name: string): ReturnType<ObjectStore['get']> {
    return this.inner.get(name);
  }
  list(prefix: string): AsyncIterable<{ name: string; metadata: Record<string, string> }> {
    return this.inner.list(prefix);
  }
}

const workers: RunningWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
});

async function countStored(store: ObjectStore, callId: string): Promise<number> {
  let n = 0;
  for await (const o of store.list('')) if (o.name.includes(`/${callId}/`)) n++;
  return n;
}

describe('durability', () => {
  it('conditional create: a retry with the same bytes is a no-op, other bytes are a conflict', async () => {
    const store = await createObjectStore(await testConfig());
    const name = `${uniqueName('x')}/00000000.pcm`;
    expect(await store.putIfAbsent(name, Buffer.from('abc'))).toBe('created');
    expect(await store.putIfAbsent(name, Buffer.from('abc'))).toBe('existed');
    await expect(store.putIfAbsent(name, Buffer.from('abd'))).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get(name))?.data.toString()).toBe('abc');
  });

  it('the local-file store has the same write-once semantics', async () => {
    const { FileObjectStore } = await import('../../media-worker/src/storage/file-object-store.js');
    const { tempDir } = await import('../helpers/stack-env.js');
    const store = new FileObjectStore(await tempDir('fs'));
    expect(await store.putIfAbsent('a/b/00000000.pcm', Buffer.from('abc'), { metadata: { k: 'v' } })).toBe('created');
    expect(await store.putIfAbsent('a/b/00000000.pcm', Buffer.from('abc'))).toBe('existed');
    await expect(store.putIfAbsent('a/b/00000000.pcm', Buffer.from('xyz'))).rejects.toBeInstanceOf(ConflictError);
    expect(await store.get('a/b/00000000.pcm')).toEqual({ data: Buffer.from('abc'), metadata: { k: 'v' } });
    const listed = [];
    for await (const o of store.list('a/')) listed.push(o);
    expect(listed).toEqual([{ name: 'a/b/00000000.pcm', metadata: { k: 'v' } }]);
  });

  it('acks a chunk only once it is in Blob', async () => {
    const config = await testConfig({ MEDIA_WORKER_PRIMARY_TIMEOUT_MS: '60000' });
    const held = new HeldStore(await createObjectStore(config));
    const { worker } = await startTestWorker({ MEDIA_WORKER_PRIMARY_TIMEOUT_MS: '60000', RECORDINGS_CONTAINER: config.container }, { store: held });
    workers.push(worker);
    const s = await reserveAndConnect(worker.controlUrl);
    await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' });
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 10);
    await waitFor(() => held.held === 1, 10_000, 'a held put');
    expect(s.client.acksReceived).toBe(0);
    expect(s.client.unackedCount('mixed')).toBe(10);
    expect(await countStored(held, s.callId)).toBe(0);
    held.open();
    await s.client.waitAcked('mixed', 10, 10_000);
    expect(await countStored(held, s.callId)).toBe(1);
    s.client.close();
  });

  it('spills to the local journal (fsync) and acks when Blob is slow, then drains to Blob', async () => {
    const config = await testConfig();
    const held = new HeldStore(await createObjectStore(config));
    const { worker } = await startTestWorker({ MEDIA_WORKER_PRIMARY_TIMEOUT_MS: '200', RECORDINGS_CONTAINER: config.container }, { store: held });
    workers.push(worker);
    const s = await reserveAndConnect(worker.controlUrl);
    await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' });
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 20);
    await s.client.waitAcked('mixed', 20, 20_000);
    expect(await countStored(held, s.callId)).toBe(0);
    expect(worker.writer.spilledCount).toBe(2);
    held.open();
    await waitFor(async () => worker.writer.spilledCount === 0, 20_000, 'spill drained');
    expect(await countStored(held, s.callId)).toBe(2);
    s.client.endStream('mixed');
    const sealed = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.json).toMatchObject({ streams: [{ streamId: 'mixed', frames: 20, chunks: 2 }] });
    s.client.close();
  });
});
