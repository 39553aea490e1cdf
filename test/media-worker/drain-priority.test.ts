// Spill drains yield to live commits, and never re-send an object whose original write is still under way
// (the real Azurite store behind a gate that the test opens one PUT at a time).
import { describe, expect, it } from 'vitest';
import { createObjectStore } from '../../media-worker/src/clients.js';
import { createLogger } from '../../media-worker/src/log.js';
import { DurableWriter } from '../../media-worker/src/storage/durable-writer.js';
import type { ObjectStore, PutOptions, PutOutcome } from '../../media-worker/src/storage/object-store.js';
import { SpillJournal } from '../../media-worker/src/storage/spill-journal.js';
import { tempDir, uniqueName } from '../helpers/stack-env.js';
import { testConfig, waitFor } from './helpers/worker-harness.js';

/** Azurite, with every PUT waiting until the test lets the next one through; records the order PUTs started. */
class SteppedStore implements ObjectStore {
  readonly kind = 'stepped-blob';
  readonly started: string[] = [];
  private waiting: Array<() => void> = [];
  constructor(private readonly inner: ObjectStore) {}
  step(): void {
    this.waiting.shift()?.();
  }
  get pending(): number {
    return this.waiting.length;
  }
  async putIfAbsent(name: string, data: Buffer, options: PutOptions = {}): Promise<PutOutcome> {
    this.started.push(name.split('/').pop() as string);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.inner.putIfAbsent(name, data, options);
  }
  get(name: string): ReturnType<ObjectStore['get']> {
    return this.inner.get(name);
  }
  list(prefix: string): AsyncIterable<{ name: string; metadata: Record<string, string> }> {
    return this.inner.list(prefix);
  }
}

describe('spill drain priority', () => {
  it('serves a live commit before a queued drain, and skips a spilled object whose first write is still in flight', async () => {
    const store = new SteppedStore(await createObjectStore(await testConfig()));
    const spill = new SpillJournal(await tempDir('spill'));
    await spill.open();
    const writer = new DurableWriter(store, spill, { primaryTimeoutMs: 1000, maxInFlight: 1, drainIntervalMs: 3_600_000 }, createLogger({}, 'silent'));
    const p = uniqueName('prio');
    const data = (c: string): Buffer => Buffer.alloc(64, c);

    // A: its PUT holds the only slot past the timeout, so A is spilled and acked while its first write goes on.
    expect(await writer.commit(`${p}/a`, data('a'))).toBe('spilled');
    // B: spilled long ago (a journal entry with no write under way).
    await spill.write(`${p}/b`, data('b'));

    // The drain queues B for the slot (A is in flight: not sent again); then a live commit C arrives.
    const drained = writer.drain(p);
    await new Promise((r) => setTimeout(r, 50));
    const live = writer.commit(`${p}/c`, data('c'));
    store.step(); // A's first write completes; the slot goes to C before B
    await waitFor(() => store.started.length === 2, 5000, 'the next PUT');
    expect(store.started).toEqual(['a', 'c']);
    store.step();
    await waitFor(() => store.started.length === 3, 5000, 'the drain PUT');
    store.step();
    expect(await live).toBe('stored');
    expect(await drained).toBe(0);
    expect(store.started).toEqual(['a', 'c', 'b']); // A was PUT once: the drain left it to its own write
    expect(writer.spilledCount).toBe(0);
    expect((await store.get(`${p}/a`))?.data.equals(data('a'))).toBe(true);
    expect((await store.get(`${p}/b`))?.data.equals(data('b'))).toBe(true);
    writer.stop();
  });
});
