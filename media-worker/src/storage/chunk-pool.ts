// Reusable chunk buffers. A stream fills one fixed-size buffer per chunk (64,000 bytes for 2 s) in place; the buffer
// goes back to the pool only when nobody uses it any more: the stream releases it after its commit settled, and every
// storage write holds its own reference (`retain`/`release`) for as long as it may read the bytes (a primary write that
// outlives a spill, a retry). A buffer is handed out again only at reference count 0, never while a write is in flight.
// Buffers are slots of slabs (one `allocUnsafeSlow` per `slotsPerSlab` buffers, outside Node's shared 8 KiB pool and
// the V8 heap), so a steady state allocates nothing and a growing one allocates rarely; a view of a slot (e.g. a
// shorter last chunk) maps back to its slot through its ArrayBuffer and byte offset.

interface Slab {
  size: number;
  /** Reference count per slot (0 = free). */
  refs: Uint32Array;
  /** The whole slab; slot i is `buf.subarray(i * size, (i + 1) * size)`. */
  buf: Buffer;
}

export interface ChunkPoolStats {
  /** Slots ever allocated (in slabs). */
  allocated: number;
  /** Slots handed out (refs > 0). */
  inUse: number;
  /** Slots ready for reuse. */
  free: number;
}

export class ChunkBufferPool {
  private readonly slabs = new Map<ArrayBufferLike, Slab>();
  private readonly free = new Map<number, Buffer[]>();
  private allocated = 0;
  private inUse = 0;

  /** @param slotsPerSlab buffers allocated together when the pool runs dry. */
  constructor(private readonly slotsPerSlab = 16) {}

  /** A buffer of exactly `bytes` bytes (contents undefined), reference count 1. */
  acquire(bytes: number): Buffer {
    let list = this.free.get(bytes);
    if (!list || list.length === 0) list = this.grow(bytes);
    const buf = list.pop() as Buffer;
    const slab = this.slabs.get(buf.buffer) as Slab;
    slab.refs[Math.floor((buf.byteOffset - slab.buf.byteOffset) / bytes)] = 1;
    this.inUse++;
    return buf;
  }

  private grow(bytes: number): Buffer[] {
    const buf = Buffer.allocUnsafeSlow(bytes * this.slotsPerSlab);
    const slab: Slab = { size: bytes, refs: new Uint32Array(this.slotsPerSlab), buf };
    this.slabs.set(buf.buffer, slab);
    let list = this.free.get(bytes);
    if (!list) {
      list = [];
      this.free.set(bytes, list);
    }
    for (let i = this.slotsPerSlab - 1; i >= 0; i--) list.push(buf.subarray(i * bytes, (i + 1) * bytes));
    this.allocated += this.slotsPerSlab;
    return list;
  }

  private slotOf(view: Uint8Array): [Slab, number] | undefined {
    const slab = this.slabs.get(view.buffer);
    if (!slab) return undefined;
    return [slab, Math.floor((view.byteOffset - slab.buf.byteOffset) / slab.size)];
  }

  /** True if `view` lies in a buffer handed out by this pool. */
  owns(view: Uint8Array): boolean {
    const at = this.slotOf(view);
    return at !== undefined && (at[0].refs[at[1]] as number) > 0;
  }

  /** Adds a reference to the pooled buffer under `view` (no-op for other buffers and free slots). */
  retain(view: Uint8Array): void {
    const at = this.slotOf(view);
    if (!at) return;
    const refs = at[0].refs[at[1]] as number;
    if (refs > 0) at[0].refs[at[1]] = refs + 1;
  }

  /** Drops a reference; at 0 the buffer becomes reusable. No-op for buffers the pool does not own or free slots. */
  release(view: Uint8Array): void {
    const at = this.slotOf(view);
    if (!at) return;
    const [slab, i] = at;
    const refs = slab.refs[i] as number;
    if (refs === 0) return;
    slab.refs[i] = refs - 1;
    if (refs > 1) return;
    this.inUse--;
    (this.free.get(slab.size) as Buffer[]).push(slab.buf.subarray(i * slab.size, (i + 1) * slab.size));
  }

  get stats(): ChunkPoolStats {
    let free = 0;
    for (const l of this.free.values()) free += l.length;
    return { allocated: this.allocated, inUse: this.inUse, free };
  }
}

/** The worker's pool: streams take chunk buffers from it, storage writes hold references on them. */
export const chunkPool = new ChunkBufferPool();
