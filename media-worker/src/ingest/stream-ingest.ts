// One stream's pipeline: bounded queue -> gate -> de-dup/gaps -> chunker -> hash chain -> durable commit -> ack.
import type { Logger } from '../log.js';
import { BoundedQueue } from './async-queue.js';
import { chunkMetadata } from './chunk-metadata.js';
import { Chunker, type ChunkData } from './chunker.js';
import type { Frame, GapRecord } from './frame.js';
import type { RecordingGate } from './gate.js';
import { genesisHash, link, sha256Hex, type ChunkRecord } from './hash-chain.js';
import { StreamSequencer } from './sequencer.js';

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
  queueCapacity: number;
  /** Chunks committing at once before the stream waits (bounds memory per stream). */
  maxPendingCommits: number;
  chunkName: (index: number) => string;
  committer: ChunkCommitter;
  gate: RecordingGate;
  log: Logger;
  /** A frame left the queue (credit can be returned to the bridge). */
  onConsumed: () => void;
  /** Everything <= seq is durable. */
  onDurable: (seq: number) => void;
  onGap: (gap: GapRecord) => void;
  /** Backoff before re-trying a failed commit. */
  retryDelayMs: number;
}

interface PendingCommit {
  lastSeq: number;
  done: boolean;
  promise: Promise<void>;
}

export class StreamIngest {
  readonly queue: BoundedQueue<Frame>;
  private readonly sequencer: StreamSequencer;
  private readonly chunker: Chunker;
  private chainHead: string;
  private readonly pending: PendingCommit[] = [];
  private durable = 0;
  private readonly consumer: Promise<void>;
  /** Durable records of this stream, in index order. */
  readonly records: ChunkRecord[] = [];
  readonly speakers = new Map<number, Array<[number, number[]]>>();
  framesAccepted = 0;
  framesDuplicate = 0;
  ended = false;

  constructor(
    readonly options: StreamIngestOptions,
    recovered: ChunkRecord[] = [],
  ) {
    this.queue = new BoundedQueue<Frame>(options.queueCapacity);
    this.chunker = new Chunker(options.streamId, options.framesPerChunk);
    this.chainHead = genesisHash(options.callId, options.streamId);
    let lastTs: bigint | undefined;
    for (const r of recovered) {
      this.records.push(r);
      this.chainHead = r.chainHash;
      this.durable = r.lastSeq;
      lastTs = BigInt(r.lastTimestamp);
    }
    this.sequencer = new StreamSequencer(this.durable, lastTs);
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

  /** Approximate bytes held in memory (queue + open chunk + committing chunks). */
  get bufferedBytes(): number {
    return (this.queue.size + this.chunker.bufferedFrames) * 640 + this.pending.filter((p) => !p.done).length * this.options.framesPerChunk * 640;
  }

  private async run(): Promise<void> {
    const { gate } = this.options;
    // Await one frame, then drain whatever else is queued synchronously (one await per batch, not per frame).
    for (let r = await this.queue.next(); !r.done; r = await this.queue.next()) {
      let frame: Frame | undefined = r.value;
      while (frame) {
        this.options.onConsumed();
        if (gate.state === 'pending') await gate.wait();
        if (gate.state === 'granted') {
          const chunk = this.accept(frame);
          if (chunk) await this.startCommit(chunk);
        } // revoked / never granted: nothing is persisted
        frame = this.queue.tryShift();
      }
    }
    if (gate.state === 'granted') {
      const last = this.chunker.flush();
      if (last) await this.startCommit(last);
    } else {
      this.chunker.discard();
    }
    await Promise.all(this.pending.map((p) => p.promise));
  }

  private accept(frame: Frame): ChunkData | undefined {
    const verdict = this.sequencer.accept(frame.seq, frame.timestamp);
    if (verdict.kind === 'duplicate') {
      this.framesDuplicate++;
      return undefined;
    }
    this.framesAccepted++;
    for (const g of verdict.gaps) this.options.onGap(g);
    return this.chunker.add(frame, verdict.gaps);
  }

  private async startCommit(chunk: ChunkData): Promise<void> {
    if (this.options.gate.state !== 'granted') return;
    const record = link(
      {
        callId: this.options.callId,
        streamId: chunk.streamId,
        index: chunk.index,
        firstSeq: chunk.firstSeq,
        lastSeq: chunk.lastSeq,
        frames: chunk.frames,
        bytes: chunk.data.length,
        sha256: sha256Hex(chunk.data),
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
    const entry: PendingCommit = { lastSeq: chunk.lastSeq, done: false, promise: Promise.resolve() };
    entry.promise = this.commitWithRetry(name, chunk.data, metadata).then(() => {
      entry.done = true;
      // Keep records in index order (commits finish almost always in order: no sort per chunk).
      let at = this.records.length;
      while (at > 0 && (this.records[at - 1] as ChunkRecord).index > record.index) at--;
      this.records.splice(at, 0, record);
      this.speakers.set(record.index, chunk.speakers);
      this.advance();
    });
    this.pending.push(entry);
    while (this.pending.filter((p) => !p.done).length > this.options.maxPendingCommits) {
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

  /** Ends the stream: no more frames; flushes the open chunk; resolves when all its chunks are durable. */
  async end(): Promise<void> {
    this.ended = true;
    this.queue.close();
    await this.consumer;
  }

  /** Drops what is queued (recording revoked). */
  discardQueued(): void {
    for (let i = this.queue.drain().length; i > 0; i--) this.options.onConsumed();
  }
}
