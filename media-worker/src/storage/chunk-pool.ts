// Reusable chunk buffers. A stream fills one fixed-size buffer per chunk (64,000 bytes for 2 s) in place; the buffer
// goes back to the pool only when nobody uses it any more: the stream releases it after its commit settled, and every
// storage write holds its own reference (`retain`/`release`) for as long as it may read the bytes (a primary write that
// outlives a spill, a retry). A buffer is handed out again only at reference count 0, never while a write is in flight.
// Buffers are `allocUnsafeSlow` (outside Node's shared 8 KiB pool), so a view of one (e.g. a shorter last chunk) maps
// back to its owner through its ArrayBuffer.

interface Owned {
  buf: Buffer;
  refs: number;
}

export interface ChunkPoolStats {
  /** Buffers ever allocated. */
  allocated: number;
  /** Buffers currently handed out (refs > 0). */
  inUse: number;
  free: number;
}

export class ChunkBufferPool {
  private readonly owned = new Map<ArrayBufferLike, Owned>();
  private readonly free = new Map<number, Buffer[]>();
  private freeCount = 0;
  private allocated = 0;

  /** @param maxFree buffers kept for reuse beyond this count are left to the GC. */
  constructor(private readonly maxFree = 256) {}

  /** A buffer of exactly `bytes` bytes (contents undefined), reference count 1. */
  acquire(bytes: number): Buffer {
    const list = this.free.get(bytes);
    let buf = list?.pop();
    if (buf) this.freeCount--;
    else {
      buf = Buffer.allocUnsafeSlow(bytes);
      this.allocated++;
    }
    this.owned.set(buf.buffer, { buf, refs: 1 });
    return buf;
  }

  /** True if `view` lies in a buffer handed out by this pool. */
  owns(view: Uint8Array): boolean {
    return this.owned.has(view.buffer);
  }

  /** Adds a reference to the pooled buffer under `view` (no-op for other buffers). */
  retain(view: Uint8Array): void {
    const o = this.owned.get(view.buffer);
    if (o) o.refs++;
  }

  /** Drops a reference; at 0 the buffer becomes reusable. No-op for buffers the pool does not own. */
  release(view: Uint8Array): void {
    const o = this.owned.get(view.buffer);
    if (!o) return;
    if (o.refs <= 0) throw new Error('chunk buffer released more often than retained');
    o.refs--;
    if (o.refs > 0) return;
    this.owned.delete(view.buffer);
    if (this.freeCount >= this.maxFree) return;
    const size = o.buf.length;
    let list = this.free.get(size);
    if (!list) {
      list = [];
      this.free.set(size, list);
    }
    list.push(o.buf);
    this.freeCount++;
  }

  get stats(): ChunkPoolStats {
    return { allocated: this.allocated, inUse: this.owned.size, free: this.freeCount };
  }
}

/** The worker's pool: streams take chunk buffers from it, storage writes hold references on them. */
export const chunkPool = new ChunkBufferPool();
