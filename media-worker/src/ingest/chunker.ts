// Groups a stream's frames into chunks whose boundaries are fixed by seq (pure, no I/O):
// chunk k holds seqs k*F+1 .. (k+1)*F, F = chunkDurationMs / 20. Deterministic boundaries make replays after a
// crash rebuild exactly the chunks that were not yet stored.
import { AUDIO_PAYLOAD_BYTES, AudioFlags, FRAME_DURATION_MS } from '../../../contracts/bridge/index.js';
import type { Frame, GapRecord } from './frame.js';

export interface ChunkData {
  streamId: string;
  index: number;
  firstSeq: number;
  lastSeq: number;
  frames: number;
  firstTimestamp: bigint;
  lastTimestamp: bigint;
  silentFrames: number;
  gaps: GapRecord[];
  /** Active-speaker changes: [seq, sourceIds] whenever the set changes. */
  speakers: Array<[number, number[]]>;
  data: Buffer;
}

export function framesPerChunk(chunkDurationMs: number): number {
  const f = chunkDurationMs / FRAME_DURATION_MS;
  if (!Number.isInteger(f) || f < 1) throw new RangeError('chunkDurationMs must be a positive multiple of 20');
  return f;
}

export function chunkIndexOf(seq: number, framesPerChunkCount: number): number {
  return Math.floor((seq - 1) / framesPerChunkCount);
}

function sameSet(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Chunker {
  private current: ChunkData | undefined;
  private lastSpeakers: number[] = [];

  constructor(
    readonly streamId: string,
    readonly framesPerChunkCount: number,
  ) {}

  /** Frames held in the open chunk. */
  get bufferedFrames(): number {
    return this.current?.frames ?? 0;
  }

  /** Adds a frame (seqs strictly increasing); returns the chunk it completed, if any. */
  add(frame: Frame, gaps: GapRecord[]): ChunkData | undefined {
    const index = chunkIndexOf(frame.seq, this.framesPerChunkCount);
    let completed: ChunkData | undefined;
    if (this.current && this.current.index !== index) {
      completed = this.finish();
    }
    if (!this.current) {
      this.current = {
        streamId: this.streamId,
        index,
        firstSeq: frame.seq,
        lastSeq: frame.seq,
        frames: 0,
        firstTimestamp: frame.timestamp,
        lastTimestamp: frame.timestamp,
        silentFrames: 0,
        gaps: [],
        speakers: [],
        data: Buffer.allocUnsafe(this.framesPerChunkCount * AUDIO_PAYLOAD_BYTES),
      };
      this.lastSpeakers = [];
    }
    const c = this.current;
    frame.payload.copy(c.data, c.frames * AUDIO_PAYLOAD_BYTES);
    c.frames++;
    c.lastSeq = frame.seq;
    c.lastTimestamp = frame.timestamp;
    if (frame.flags & AudioFlags.silence) c.silentFrames++;
    for (const g of gaps) c.gaps.push(g);
    if (c.speakers.length === 0 || !sameSet(frame.activeSpeakers, this.lastSpeakers)) {
      this.lastSpeakers = frame.activeSpeakers;
      c.speakers.push([frame.seq, frame.activeSpeakers]);
    }
    if (frame.seq === (index + 1) * this.framesPerChunkCount) return completed ?? this.finish();
    return completed;
  }

  /** Closes the open chunk (stream end, seal); returns it if it holds frames. */
  flush(): ChunkData | undefined {
    return this.current ? this.finish() : undefined;
  }

  /** Drops the open chunk without emitting it (recording revoked). */
  discard(): void {
    this.current = undefined;
  }

  private finish(): ChunkData {
    const c = this.current as ChunkData;
    this.current = undefined;
    c.data = c.data.subarray(0, c.frames * AUDIO_PAYLOAD_BYTES);
    return c;
  }
}
