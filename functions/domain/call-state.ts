/**
 * Graph call-state machine for one call leg: monotonic (a regression is ignored), terminal wins, out-of-order
 * establishing/established is absorbed, duplicate notifications are dropped by their dedup id.
 */
import type { CallState } from '../../contracts/graph/index.js';

/** Rank of Graph call states. States of equal rank (hold/transferring/established) may alternate. */
const RANK: Record<CallState, number> = {
  incoming: 0,
  establishing: 1,
  ringing: 1,
  established: 2,
  hold: 2,
  transferring: 2,
  transferAccepted: 2,
  redirecting: 2,
  terminating: 3,
  terminated: 4,
};

export function isKnownCallState(state: string): state is CallState {
  return Object.prototype.hasOwnProperty.call(RANK, state);
}

export interface CallStateView {
  state: CallState;
  /** True once `established` (or a later mid-call state) was seen, even if it arrived before `establishing`. */
  everEstablished: boolean;
  /** Dedup ids of the most recent notifications applied (bounded). */
  seen: string[];
  terminatedReason: { code?: number; subcode?: number; message?: string | null } | null;
}

export const MAX_SEEN_IDS = 256;

export function initialCallState(state: CallState = 'incoming'): CallStateView {
  return { state, everEstablished: RANK[state] === 2, seen: [], terminatedReason: null };
}

export interface CallStateUpdate {
  dedupId: string;
  state: string;
  /** A `deleted` change is the terminal signal even when the state field is missing or stale. */
  deleted?: boolean;
  resultInfo?: { code?: number; subcode?: number; message?: string | null } | null;
}

export type CallStateOutcome =
  | { applied: true; view: CallStateView; changed: boolean }
  | { applied: false; view: CallStateView; reason: 'duplicate' | 'regression' | 'unknownState' | 'alreadyTerminal' };

export function applyCallState(view: CallStateView, update: CallStateUpdate): CallStateOutcome {
  if (view.seen.includes(update.dedupId)) return { applied: false, view, reason: 'duplicate' };
  const seen = [...view.seen, update.dedupId].slice(-MAX_SEEN_IDS);
  const next: CallState | null = update.deleted ? 'terminated' : isKnownCallState(update.state) ? update.state : null;
  if (next === null) return { applied: false, view: { ...view, seen }, reason: 'unknownState' };
  if (view.state === 'terminated') return { applied: false, view: { ...view, seen }, reason: 'alreadyTerminal' };
  const everEstablished = view.everEstablished || RANK[next] === 2;
  if (RANK[next] < RANK[view.state]) {
    return { applied: false, view: { ...view, seen, everEstablished }, reason: 'regression' };
  }
  const terminatedReason = next === 'terminated' ? update.resultInfo ?? view.terminatedReason : view.terminatedReason;
  const changed = next !== view.state;
  return { applied: true, changed, view: { state: next, everEstablished, seen, terminatedReason } };
}

export function isEnded(view: CallStateView): boolean {
  return view.state === 'terminated';
}

export function isEnding(view: CallStateView): boolean {
  return RANK[view.state] >= RANK.terminating;
}
