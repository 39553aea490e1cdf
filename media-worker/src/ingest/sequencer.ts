// Per-stream de-duplication and gap detection (pure). Frames arrive in seq order per stream; replays after a
// reconnect repeat seqs already seen, which are dropped (so is a late frame below the highest seq seen).
// Allocation-free on the hot path: the 64-bit timestamp comes in as two u32 halves (as read from the wire) and the
// drift is computed in Number (exact: deltas are far below 2^53); a GapRecord is created only when there is a gap.
import { FRAME_DURATION_100NS } from '../../../contracts/bridge/index.js';
import type { GapRecord } from './frame.js';

/** A timestamp may drift this many frames from what seq implies before it counts as a jump. */
export const TIMESTAMP_TOLERANCE_FRAMES = 3;
const FRAME_100NS = Number(FRAME_DURATION_100NS);
const TOLERANCE_100NS = TIMESTAMP_TOLERANCE_FRAMES * FRAME_100NS;
const TWO_32 = 0x1_0000_0000;

/** Splits a u64 timestamp into [high, low] u32 halves. */
export function splitTimestamp(ts: bigint): [number, number] {
  return [Number(ts >> 32n), Number(ts & 0xffff_ffffn)];
}

export function joinTimestamp(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export class StreamSequencer {
  private highestSeq: number;
  private hasTimestamp: boolean;
  private lastHi = 0;
  private lastLo = 0;

  /** @param highestSeq highest seq already held or durable (0 = none); @param lastTimestamp its timestamp. */
  constructor(highestSeq = 0, lastTimestamp: bigint | undefined = undefined) {
    this.highestSeq = highestSeq;
    this.hasTimestamp = lastTimestamp !== undefined;
    if (lastTimestamp !== undefined) [this.lastHi, this.lastLo] = splitTimestamp(lastTimestamp);
  }

  get highest(): number {
    return this.highestSeq;
  }

  /** False for a duplicate (seq already seen). Otherwise accepts the frame and pushes the gaps it reveals onto `gaps`. */
  accept(seq: number, tsHi: number, tsLo: number, gaps: GapRecord[]): boolean {
    const prevSeq = this.highestSeq;
    if (seq <= prevSeq) return false;
    if (seq > prevSeq + 1) gaps.push({ fromSeq: prevSeq + 1, toSeq: seq - 1, reason: 'missingSeq' });
    if (this.hasTimestamp) {
      const delta = (tsHi - this.lastHi) * TWO_32 + (tsLo - this.lastLo);
      if (Math.abs(delta - (seq - prevSeq) * FRAME_100NS) > TOLERANCE_100NS) gaps.push({ fromSeq: seq, toSeq: seq, reason: 'timestampJump' });
    }
    this.highestSeq = seq;
    this.hasTimestamp = true;
    this.lastHi = tsHi;
    this.lastLo = tsLo;
    return true;
  }
}
