/**
 * The recorder's lifecycle of one call leg, as an explicit string union. The orchestrator moves through it in order;
 * `finalized` and `failed` are terminal.
 */
export const LIFECYCLE_STATES = [
  'answered', 'establishing', 'established', 'recording', 'terminating', 'finalized', 'failed',
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

const RANK: Record<LifecycleState, number> = {
  answered: 0, establishing: 1, established: 2, recording: 3, terminating: 4, finalized: 5, failed: 5,
};

export function isTerminalLifecycle(state: LifecycleState): boolean {
  return state === 'finalized' || state === 'failed';
}

/**
 * Moves forward only. `failed` may be entered from any non-terminal state; `finalized` only from `terminating`
 * or earlier states (a call can end before it was ever established). Returns the current state when the move is a
 * regression or the current state is terminal.
 */
export function advanceLifecycle(current: LifecycleState, next: LifecycleState): LifecycleState {
  if (isTerminalLifecycle(current)) return current;
  if (next === 'failed') return 'failed';
  return RANK[next] > RANK[current] ? next : current;
}

/** Recording status as the recorded users see it (what we reported to Graph). */
export type UserVisibleRecordingStatus = 'notRecording' | 'recording' | 'failed';

/** What the dashboard reads from the orchestration's custom status. */
export interface LiveCallStatus {
  callId: string;
  callChainId: string | null;
  tenantId: string;
  lifecycle: LifecycleState;
  graphState: string | null;
  recordingStatus: UserVisibleRecordingStatus;
  /** The worker holding the session now (it changes when another worker adopts it). */
  workerId: string | null;
  sessionId: string | null;
  /** The worker pin: heartbeats lost since (null = alive), adoptions so far, workers that held the session before. */
  worker?: { lostSince: string | null; adoptions: number; previous: string[] };
  participants: number;
  lastNotificationAt: string | null;
  failureReason: string | null;
}
