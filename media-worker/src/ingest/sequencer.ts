// Per-stream de-duplication and gap detection (pure). Frames arrive in seq order per stream; replays after a
// reconnect repeat seqs already seen, which are dropped.
import { FRAME_DURATION_100NS } from '../../../contracts/bridge/index.js';
import type { GapRecord } from './frame.js';

export type SequenceVerdict = { kind: 'duplicate' } | { kind: 'accept'; gaps: GapRecord[] };

/** A timestamp may drift this many frames from what seq implies before it counts as a jump. */
export const TIMESTAMP_TOLERANCE_FRAMES = 3;
const FRAME_100NS = Number(FRAME_DURATION_100NS);
const TOLERANCE_100NS = TIMESTAMP_TOLERANCE_FRAMES * FRAME_100NS;

export class StreamSequencer {
  /** @param highestSeq highest seq already held or durable (0 = none); @param lastTimestamp its timestamp. */
  constructor(
    private highestSeq = 0,
    private lastTimestamp: bigint | undefined = undefined,
  ) {}

  get highest(): number {
    return this.highestSeq;
  }

  accept(seq: number, timestamp: bigint): SequenceVerdict {
    if (seq <= this.highestSeq) return { kind: 'duplicate' };
    const gaps: GapRecord[] = [];
    const prevSeq = this.highestSeq;
    if (seq > prevSeq + 1) gaps.push({ fromSeq: prevSeq + 1, toSeq: seq - 1, reason: 'missingSeq' });
    if (this.lastTimestamp !== undefined) {
      // One BigInt subtraction per frame; the rest in Number (deltas are far below 2^53).
      const drift = Math.abs(Number(timestamp - this.lastTimestamp) - (seq - prevSeq) * FRAME_100NS);
      if (drift > TOLERANCE_100NS) gaps.push({ fromSeq: seq, toSeq: seq, reason: 'timestampJump' });
    }
    this.highestSeq = seq;
    this.lastTimestamp = timestamp;
    return { kind: 'accept', gaps };
  }
}
