// One stream's pipeline: AUDIO frames read in place -> de-dup/gaps -> chunk assembly (payloads copied straight into a
// pooled chunk buffer) -> bounded queue of filled chunks (AsyncIterable) -> gate -> hash chain -> durable commit ->
// cumulative ack. No object is allocated per frame; the queue holds chunks, not frames.
// Flow control: a frame's credit goes back to the bridge as soon as it sits in a chunk buffer, unless the stream
// already holds `maxPendingCommits` filled chunks that are not durable yet (waiting for the grant, or committing):
// then credit is withheld until one of them is durable or dropped. Memory per stream is so bounded by
// (open chunk + held chunks + the bridge's outstanding credit) x chunk size; credit stays counted in frames.
import { ProtocolError } from '../../../contracts/bridge/index.js';
import type { Logger } from '../log.js';
import { chunkPool, type ChunkBufferPool } from '../storage/chunk-pool.js';
import { BoundedQueue } from './async-queue.js';
import { chunkMetadata, speakersTruncated } from './chunk-metadata.js';
import { ChunkAssembler, type ChunkData } from './chunker.js';
import type { GapRecord } from './frame.js';
import type { RecordingGate } from './gate.js';
import { genesisHash, link, sha256Hex } from './hash-chain.js';
import { StreamSequencer } from './sequencer.js';
import { addRecord, emptyProgress, type StreamProgress } from './stream-progress.js';

export interface ChunkCommitter {
  /** Resolves once the chunk is durable (stored or spilled); rejects on a permanent failure. */
  commit(name: string, data: Buffer, metadata: Record<string, string>): Promise<unknown>;
}

export interface StreamIngestOptions {
  callId: string;
  streamId: string;
  kind: 'mixed' | 'unmixed';
  sourceId: number | null;
  framesPerChunk: number;
  /** Frames the stream may take beyond its held chunks (sizes the bounded queue of filled chunks). */
  queueCapacity: number;
  /** Filled chunks held (before the grant, or committing) before credit is withheld; also commits in flight. */
  maxPendingCommits: number;
  chunkName: (index: number) => string;
  committer: ChunkCommitter;
  gate: RecordingGate;
  log: Logger;
  /** One frame's credit can be returned to the bridge. */
  onConsumed: () => void;
  /** Everything <= seq is durable. */
  onDurable: (seq: number) => void;
  onGap: (gap: GapRecord) => void;
  /** A chunk's speaker runs did not fit in its blob metadata: the session keeps them for the manifest. */
  onOversizedSpeakers?: (index: number, runs: Array<[number, number[]]>) => void;
  /** Backoff before re-trying a failed commit. */
  retryDelayMs: number;
  /** Chunk buffers (default: the worker's pool). */
  pool?: ChunkBufferPool;
}

interface PendingCommit {
  lastSeq: number;
  done: boolean;
  promise: Promise<void>;
}

export class StreamIngest {
  /** Filled chunks waiting for the gate / a commit slot. */
  readonly chunks: BoundedQueue<ChunkData>;
  private readonly sequencer: StreamSequencer;
  private readonly assembler: ChunkAssembler;
  private readonly pool: ChunkBufferPool;
  private chainHead: string;
  private readonly pending: PendingCommit[] = [];
  private committing = 0;
  /** Filled chunks not yet durable or dropped (queued + committing). */
  private holding = 0;
  /** Credit withheld while `holding` is at its limit. */
  private owed = 0;
  private durable = 0;
  private readonly gaps: GapRecord[] = [];
  private readonly consumer: Promise<void>;
  /**
   * Counters, last durable chunk and chain head: constant size. No per-chunk list is kept; the manifest's chunk list is
   * rebuilt from storage at seal (every stored chunk carries its record and speaker runs).
   */
  private readonly durableProgress: StreamProgress;
  framesAccepted = 0;
  framesDuplicate = 0;
  /** Highest seq dropped because recording was revoked (0 = none). */
  droppedHighest = 0;
  ended = false;

  constructor(
    readonly options: StreamIngestOptions,
    /** What is already durable for this stream (recovered from storage, or an earlier ingest of it). */
    start?: StreamProgress,
  ) {
    this.pool = options.pool ?? chunkPool;
    this.chunks = new BoundedQueue<ChunkData>(Math.ceil(options.queueCapacity / options.framesPerChunk) + options.maxPendingCommits + 3); // +1: room for the last chunk at end()
    this.assembler = new ChunkAssembler(options.streamId, options.framesPerChunk, (bytes) => this.pool.acquire(bytes));
    this.durableProgress = start ? { ...start } : emptyProgress(options.callId, options.streamId);
    this.chainHead = start ? start.chainHead : genesisHash(options.callId, options.streamId);
    this.durable = start?.lastSeq ?? 0;
    this.sequencer = new StreamSequencer(this.durable, start?.lastTimestamp != null ? BigInt(start.lastTimestamp) : undefined);
    this.consumer = this.run();
  }

  get streamId(): string {
    return this.options.streamId;
  }

  get durableSeq(): number {
    return this.durable;
  }

  get head(): string {
    return this.chainHead;
  }

  /** A copy of the durable counters, last durable chunk and its chain hash. */
  get progress(): StreamProgress {
    return { ...this.durableProgress };
  }

  /** Entries this stream keeps per chunk: commits not yet acknowledged in order (bounded by maxPendingCommits). */
  get perChunkEntries(): number {
    return this.pending.length;
  }

  /** Bytes held in chunk buffers (open chunk + filled chunks not yet durable). */
  get bufferedBytes(): number {
    return this.holding * this.assembler.chunkBytes + (this.assembler.bufferedFrames > 0 ? this.assembler.chunkBytes : 0);
  }

  /**
   * One AUDIO frame, read in place: `body[start]` is its type byte, its payload starts at `payloadStart` (validated by
   * the caller). Nothing of `body` is kept after the call. Throws ProtocolError flowControl if the bridge overran.
   */
  addAudio(body: Buffer, start: number, payloadStart: number): void {
    if (this.options.gate.state === 'revoked') {
      // Nothing is kept once recording is revoked; the highest seq dropped is remembered for a later re-grant
      // (session/: the bridge must not replay these frames to a re-granted stream). Cold path only.
      const dropped = body.readUInt32BE(start + 3);
      if (dropped > this.droppedHighest) this.droppedHighest = dropped;
      this.options.onConsumed();
      return;
    }
    if (this.chunks.size >= this.chunks.capacity) throw new ProtocolError('flowControl', 'stream holds too many chunks (credit overrun)');
    const seq = body.readUInt32BE(start + 3);
    const tsHi = body.readUInt32BE(start + 7);
    const tsLo = body.readUInt32BE(start + 11);
    const gaps = this.gaps;
    if (!this.sequencer.accept(seq, tsHi, tsLo, gaps)) {
      this.framesDuplicate++;
      this.returnCredit();
      return;
    }
    this.framesAccepted++;
    for (let i = 0; i < gaps.length; i++) this.options.onGap(gaps[i] as GapRecord);
    const done = this.assembler.add(seq, tsHi, tsLo, body, start, payloadStart, gaps);
    gaps.length = 0;
    if (done) this.enqueue(done);
    this.returnCredit();
  }

  private enqueue(chunk: ChunkData): void {
    this.holding++;
    if (!this.chunks.tryPush(chunk)) {
      // Unreachable: addAudio checks room first. Never lose a chunk silently.
      this.holding--;
      this.pool.release(chunk.data);
      throw new ProtocolError('flowControl', 'stream chunk queue full');
    }
  }

  private returnCredit(): void {
    if (this.holding >= this.options.maxPendingCommits) this.owed++;
    else this.options.onConsumed();
  }

  /** A held chunk is durable or dropped: release its buffer and pay withheld credit once below the limit. */
  private released(chunk: ChunkData): void {
    this.pool.release(chunk.data);
    this.holding--;
    if (this.holding < this.options.maxPendingCommits && this.owed > 0) {
      for (let n = this.owed; n > 0; n--) this.options.onConsumed();
      this.owed = 0;
    }
  }

  private async run(): Promise<void> {
    const { gate } = this.options;
    // Await one chunk, then take whatever else is queued synchronously.
    for (let r = await this.chunks.next(); !r.done; r = await this.chunks.next()) {
      let chunk: ChunkData | undefined = r.value;
      while (chunk) {
        if (gate.state === 'pending') await gate.wait();
        if (gate.state === 'granted') await this.startCommit(chunk);
        else this.released(chunk); // revoked / never granted: nothing is persisted
        chunk = this.chunks.tryShift();
      }
    }
    await Promise.all(this.pending.map((p) => p.promise));
  }

  private async startCommit(chunk: ChunkData): Promise<void> {
    // SHA-256 once per chunk, synchronously: measured, WebCrypto's async digest cost the event loop ~2x more here
    // (job setup and a copy of the chunk) than hashing 64 KB in place.
    const sha256 = sha256Hex(chunk.data);
    const record = link(
      {
        callId: this.options.callId,
        streamId: chunk.streamId,
        index: chunk.index,
        firstSeq: chunk.firstSeq,
        lastSeq: chunk.lastSeq,
        frames: chunk.frames,
        bytes: chunk.data.length,
        sha256,
        firstTimestamp: chunk.firstTimestamp.toString(),
        lastTimestamp: chunk.lastTimestamp.toString(),
        silentFrames: chunk.silentFrames,
        gaps: chunk.gaps,
      },
      this.chainHead,
    );
    this.chainHead = record.chainHash;
    const name = this.options.chunkName(chunk.index);
    const metadata = chunkMetadata(record, chunk.speakers);
    if (speakersTruncated(metadata)) this.options.onOversizedSpeakers?.(chunk.index, chunk.speakers);
    const entry: PendingCommit = { lastSeq: chunk.lastSeq, done: false, promise: Promise.resolve() };
    this.committing++;
    entry.promise = this.commitWithRetry(name, chunk.data, metadata).then(() => {
      entry.done = true;
      this.committing--;
      addRecord(this.durableProgress, record);
      this.released(chunk);
      this.advance();
    });
    this.pending.push(entry);
    while (this.committing > this.options.maxPendingCommits) {
      const oldest = this.pending.find((p) => !p.done);
      if (oldest) await oldest.promise;
    }
  }

  private async commitWithRetry(name: string, data: Buffer, metadata: Record<string, string>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.committer.commit(name, data, metadata);
        return;
      } catch (err) {
        this.options.log.error('chunk commit failed; retrying', { object: name, attempt, error: String(err) });
        await new Promise((r) => setTimeout(r, Math.min(this.options.retryDelayMs * attempt, 10_000)));
      }
    }
  }

  /** Acks are cumulative: advance over the commits finished in order. */
  private advance(): void {
    let moved = false;
    while (this.pending.length > 0 && this.pending[0]?.done) {
      const p = this.pending.shift() as PendingCommit;
      this.durable = p.lastSeq;
      moved = true;
    }
    if (moved) this.options.onDurable(this.durable);
  }

  /** Ends the stream: no more frames; closes the open chunk; resolves when all its chunks are durable (or dropped). */
  async end(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      const last = this.assembler.flush();
      if (last) {
        this.holding++;
        if (!this.chunks.tryPush(last)) this.released(last); // queue closed already: cannot happen (ended guards it)
      }
      this.chunks.close();
    }
    await this.consumer;
  }

  /** Drops what is held and not committing yet (recording revoked / never granted); returns its credit. */
  discardQueued(): void {
    if (this.options.gate.state === 'granted') return;
    for (const chunk of this.chunks.drain()) this.released(chunk);
    const open = this.assembler.discard();
    if (open) this.pool.release(open);
  }
}
