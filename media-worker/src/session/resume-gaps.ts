// Explains the seq gap that follows a (re)connect (pure). At HELLO the bridge says what it last had acked per stream
// (`resume`) and the worker knows what is durable; the first frame replayed after that tells the rest:
//   durableSeq+1 .. ackedSeq      acked by a worker but not found in storage (a lost worker's spill) → workerLost
//   ackedSeq+1  .. firstSeq-1     never acked and no longer held by the bridge (shed while disconnected) → bridgeDisconnected
import type { GapRecord } from '../ingest/frame.js';
import type { SessionGap } from './session-record.js';

export interface ResumeExpectation {
  streamId: string;
  durableSeq: number;
  ackedSeq: number;
  /** Media timestamp of the last durable frame (decimal 100-ns units), when known. */
  durableTimestamp: string | null;
}

export function resumeExpectations(
  durable: ReadonlyArray<{ streamId: string; seq: number }>,
  resume: ReadonlyArray<{ streamId: string; seq: number }>,
  timestampOf: (streamId: string) => string | null,
): Map<string, ResumeExpectation> {
  const out = new Map<string, ResumeExpectation>();
  const durableOf = new Map(durable.map((d) => [d.streamId, d.seq]));
  for (const r of resume) {
    const d = durableOf.get(r.streamId) ?? 0;
    out.set(r.streamId, { streamId: r.streamId, durableSeq: d, ackedSeq: Math.max(d, r.seq), durableTimestamp: timestampOf(r.streamId) });
  }
  return out;
}

/** The session gaps a `missingSeq` gap right after the durable point stands for; [] when it is not that gap. */
export function classifyResumeGap(e: ResumeExpectation, gap: GapRecord, detectedAt: string): SessionGap[] {
  if (gap.reason !== 'missingSeq' || gap.fromSeq !== e.durableSeq + 1) return [];
  const out: SessionGap[] = [];
  const lostTo = Math.min(e.ackedSeq, gap.toSeq);
  if (lostTo >= gap.fromSeq) {
    out.push({ streamId: e.streamId, fromSeq: gap.fromSeq, toSeq: lostTo, reason: 'workerLost', detectedAt, beforeTimestamp: e.durableTimestamp });
  }
  if (gap.toSeq > e.ackedSeq) {
    out.push({ streamId: e.streamId, fromSeq: Math.max(gap.fromSeq, e.ackedSeq + 1), toSeq: gap.toSeq, reason: 'bridgeDisconnected', detectedAt, beforeTimestamp: e.durableTimestamp });
  }
  return out;
}

/** The gap after a re-grant: frames dropped while recording was revoked (from right after the durable point). */
export function revokedGap(streamId: string, r: { durableSeq: number; revokedAt: string }, gap: GapRecord, detectedAt: string): SessionGap[] {
  if (gap.reason !== 'missingSeq' || gap.fromSeq !== r.durableSeq + 1) return [];
  return [{ streamId, fromSeq: gap.fromSeq, toSeq: gap.toSeq, reason: 'recordingRevoked', detectedAt, revokedAt: r.revokedAt }];
}
