// "Ack only after durable": a write is durable once it is in the primary store (Blob) or, when the primary is slow
// or down, in the fsync'd spill journal. Spilled objects are drained to the primary in the background.
import type { Logger } from '../log.js';
import { chunkPool, type ChunkBufferPool } from './chunk-pool.js';
import { ConflictError, type ObjectStore, type PutOptions } from './object-store.js';
import type { SpillJournal } from './spill-journal.js';

export interface DurableWriterOptions {
  /** Time a primary write may take (including waiting for a slot) before the object is spilled instead. */
  primaryTimeoutMs: number;
  /** Concurrent primary writes. */
  maxInFlight: number;
  drainIntervalMs: number;
  /** Pool whose buffers a write holds a reference on while it may read them (default: the worker's pool). */
  pool?: ChunkBufferPool;
}

export type DurableOutcome = 'stored' | 'spilled';

/** Write slots; live commits are served before spill drains (a drain never delays a chunk the bridge waits on). */
class Slots {
  private live: Array<() => void> = [];
  private drains: Array<() => void> = [];
  constructor(private free: number) {}
  /** Resolves at once when a slot is free (no promise, no abort machinery on the hot path). */
  acquire(kind: 'live' | 'drain'): Promise<void> | undefined {
    if (this.free > 0 && (kind === 'live' || this.live.length === 0)) {
      this.free--;
      return undefined;
    }
    return new Promise<void>((resolve) => (kind === 'live' ? this.live : this.drains).push(resolve));
  }
  release(): void {
    const next = this.live.shift() ?? this.drains.shift();
    if (next) next();
    else this.free++;
  }
  get queued(): number {
    return this.live.length;
  }
}

export class DurableWriter {
  private readonly slots: Slots;
  /** Names whose primary write is in progress (a drain leaves them alone: that write may still land). */
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<number> | undefined;
  private readonly pool: ChunkBufferPool;
  stats = { stored: 0, spilled: 0, drained: 0, primaryFailures: 0 };

  constructor(
    readonly primary: ObjectStore,
    private readonly spill: SpillJournal,
    private readonly options: DurableWriterOptions,
    private readonly log: Logger,
  ) {
    this.slots = new Slots(options.maxInFlight);
    this.pool = options.pool ?? chunkPool;
  }

  get spilledCount(): number {
    return this.spill.size;
  }

  /**
   * Resolves once the object is durable. The primary write is not abandoned on timeout: the object is spilled
   * (fsync'd) so it can be acked, and the spill entry is removed if the primary write still succeeds.
   */
  async commit(name: string, data: Buffer, options: PutOptions = {}): Promise<DurableOutcome> {
    // The primary write may outlive this call (spill path): it holds its own reference on a pooled buffer.
    this.pool.retain(data);
    const primary = this.writePrimary(name, data, options, 'live');
    void primary.then(
      () => this.pool.release(data),
      () => this.pool.release(data),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.primaryTimeoutMs);
    });
    const first = await Promise.race([primary.then(() => 'stored' as const, (err: unknown) => err), timedOut]);
    clearTimeout(timer);
    if (first === 'stored') {
      this.stats.stored++;
      return 'stored';
    }
    if (first instanceof ConflictError) throw first;
    this.stats.primaryFailures++;
    if (first !== 'timeout') this.log.warn('primary write failed; spilling', { object: name, error: String(first) });
    await this.spill.write(name, data, options);
    this.stats.spilled++;
    this.start();
    // If the slow primary write completes after all, the spilled copy is no longer needed.
    void primary.then(
      () => {
        this.stats.stored++;
        return this.spill.remove(name);
      },
      () => undefined,
    );
    return 'spilled';
  }

  private async writePrimary(name: string, data: Buffer, options: PutOptions, kind: 'live' | 'drain'): Promise<void> {
    this.inFlight.add(name);
    try {
      const wait = this.slots.acquire(kind);
      if (wait) await wait;
      try {
        await this.primary.putIfAbsent(name, data, options);
      } finally {
        this.slots.release();
      }
    } finally {
      this.inFlight.delete(name);
    }
  }

  /** True if `name` is durable only in the spill journal. */
  isSpilled(name: string): boolean {
    return this.spill.has(name);
  }

  spilledNames(prefix: string): string[] {
    return this.spill.names(prefix);
  }

  readSpilled(name: string): ReturnType<SpillJournal['readByName']> {
    return this.spill.readByName(name);
  }

  /**
   * Forgets a spilled object that is safely stored elsewhere (e.g. under another name, when its own name was taken
   * with other bytes): without this the drain would retry the conflicting write forever.
   */
  discardSpilled(name: string): Promise<void> {
    return this.spill.remove(name);
  }

  /** Moves spilled objects (optionally only under `prefix`) to the primary; returns how many remain there. */
  drain(prefix = ''): Promise<number> {
    if (this.draining && prefix === '') return this.draining;
    const run = (async () => {
      const names = this.spill.names(prefix);
      let next = 0;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (next < names.length && !failed) {
          const name = names[next++] as string;
          if (this.inFlight.has(name)) continue; // its original write is still under way; a later drain checks again
          const e = await this.spill.readByName(name);
          if (!e) continue;
          try {
            await this.writePrimary(e.name, e.data, { metadata: e.metadata, tags: e.tags, contentType: e.contentType }, 'drain');
            await this.spill.remove(e.name);
            this.stats.drained++;
          } catch (err) {
            this.log.warn('spill drain failed', { object: e.name, error: String(err) });
            if (!(err instanceof ConflictError)) failed = true;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, this.options.maxInFlight) }, worker));
      return this.spill.names(prefix).length;
    })();
    if (prefix === '') {
      this.draining = run;
      void run
        .finally(() => {
          this.draining = undefined;
        })
        .catch(() => undefined);
    }
    return run;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.spill.size > 0) void this.drain().catch(() => undefined);
    }, this.options.drainIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
