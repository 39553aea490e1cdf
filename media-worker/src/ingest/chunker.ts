// Assembles a stream's frames into chunks whose boundaries are fixed by seq (pure, no I/O):
// chunk k holds seqs k*F+1 .. (k+1)*F, F = chunkDurationMs / 20. Deterministic boundaries make replays after a
// crash rebuild exactly the chunks that were not yet stored.
// Hot path without per-frame objects: an AUDIO frame is read in place (from the socket read) and its 640-byte
// payload copied straight into the open chunk's buffer (from a pool); active speakers are stored only when they
// change (a run list per chunk). Chunk content = the accepted payloads in seq order (a missing seq leaves no hole).
import { AUDIO_PAYLOAD_BYTES, AudioBody, AudioFlags, FRAME_DURATION_MS } from '../../../contracts/bridge/index.js';
import type { GapRecord } from './frame.js';
import { joinTimestamp } from './sequencer.js';

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
  /** The payloads: a view of a pooled buffer (release it to the pool once the chunk is durable or dropped). */
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

/** Open chunk state; timestamps as u32 halves until the chunk is finished. */
interface OpenChunk {
  index: number;
  firstSeq: number;
  lastSeq: number;
  frames: number;
  firstHi: number;
  firstLo: number;
  lastHi: number;
  lastLo: number;
  silentFrames: number;
  gaps: GapRecord[];
  speakers: Array<[number, number[]]>;
  data: Buffer;
}

export class ChunkAssembler {
  private current: OpenChunk | undefined;
  private lastSpeakers: number[] = [];
  readonly chunkBytes: number;

  /** @param acquire returns a buffer of `framesPerChunkCount * 640` bytes (from the pool). */
  constructor(
    readonly streamId: string,
    readonly framesPerChunkCount: number,
    private readonly acquire: (bytes: number) => Buffer,
  ) {
    this.chunkBytes = framesPerChunkCount * AUDIO_PAYLOAD_BYTES;
  }

  /** Frames held in the open chunk. */
  get bufferedFrames(): number {
    return this.current?.frames ?? 0;
  }

  /**
   * Adds one accepted frame (seqs strictly increasing), read in place: `body[start]` is the AUDIO type byte and
   * the payload starts at `payloadStart`. `gaps` (usually empty) are recorded on the frame's chunk.
   * Returns the chunk this frame completed or closed, if any.
   */
  add(seq: number, tsHi: number, tsLo: number, body: Buffer, start: number, payloadStart: number, gaps: readonly GapRecord[]): ChunkData | undefined {
    const index = Math.floor((seq - 1) / this.framesPerChunkCount);
    let completed: ChunkData | undefined;
    if (this.current && this.current.index !== index) completed = this.finish();
    let c = this.current;
    if (!c) {
      c = {
        index, firstSeq: seq, lastSeq: seq, frames: 0, firstHi: tsHi, firstLo: tsLo, lastHi: tsHi, lastLo: tsLo,
        silentFrames: 0, gaps: [], speakers: [], data: this.acquire(this.chunkBytes),
      };
      this.current = c;
      this.lastSpeakers = [];
    }
    body.copy(c.data, c.frames * AUDIO_PAYLOAD_BYTES, payloadStart, payloadStart + AUDIO_PAYLOAD_BYTES);
    c.frames++;
    c.lastSeq = seq;
    c.lastHi = tsHi;
    c.lastLo = tsLo;
    if ((body[start + AudioBody.flags] as number) & AudioFlags.silence) c.silentFrames++;
    for (let i = 0; i < gaps.length; i++) c.gaps.push(gaps[i] as GapRecord);
    if (c.speakers.length === 0 || !this.sameSpeakers(body, start)) {
      const count = body[start + AudioBody.speakerCount] as number;
      const speakers = new Array<number>(count);
      for (let i = 0; i < count; i++) speakers[i] = body.readUInt32BE(start + AudioBody.speakers + 4 * i);
      this.lastSpeakers = speakers;
      c.speakers.push([seq, speakers]);
    }
    if (completed) return completed;
    if (seq === (index + 1) * this.framesPerChunkCount) return this.finish();
    return undefined;
  }

  /** Closes the open chunk (stream end, seal); returns it if it holds frames. */
  flush(): ChunkData | undefined {
    return this.current ? this.finish() : undefined;
  }

  /** Drops the open chunk without emitting it (recording revoked); returns its buffer for release. */
  discard(): Buffer | undefined {
    const data = this.current?.data;
    this.current = undefined;
    return data;
  }

  private sameSpeakers(body: Buffer, start: number): boolean {
    const last = this.lastSpeakers;
    const count = body[start + AudioBody.speakerCount] as number;
    if (count !== last.length) return false;
    for (let i = 0; i < count; i++) if (body.readUInt32BE(start + AudioBody.speakers + 4 * i) !== last[i]) return false;
    return true;
  }

  private finish(): ChunkData {
    const c = this.current as OpenChunk;
    this.current = undefined;
    return {
      streamId: this.streamId,
      index: c.index,
      firstSeq: c.firstSeq,
      lastSeq: c.lastSeq,
      frames: c.frames,
      firstTimestamp: joinTimestamp(c.firstHi, c.firstLo),
      lastTimestamp: joinTimestamp(c.lastHi, c.lastLo),
      silentFrames: c.silentFrames,
      gaps: c.gaps,
      speakers: c.speakers,
      data: c.frames * AUDIO_PAYLOAD_BYTES === c.data.length ? c.data : c.data.subarray(0, c.frames * AUDIO_PAYLOAD_BYTES),
    };
  }
}
