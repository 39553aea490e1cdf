// Teams' compliance-recording policy decisions (reference §8). Pure functions over the policy and leg outcomes.
import type { PolicySpec } from './scenario.js';
import type { Leg } from './model.js';

export type CallKind = 'p2p' | 'group' | 'meeting';

/** Invites per recorded user: ConcurrentInvitationCount 2 or a paired application both give two. */
export function invitesPerUser(policy: PolicySpec): 1 | 2 {
  return policy.concurrentInvitationCount === 2 || policy.pairedApplication ? 2 : 1;
}

const requiredBefore = (p: PolicySpec, kind: CallKind): boolean =>
  kind === 'meeting' ? p.requiredBeforeMeetingJoin : p.requiredBeforeCallEstablishment;
const requiredDuring = (p: PolicySpec, kind: CallKind): boolean =>
  kind === 'meeting' ? p.requiredDuringMeeting : p.requiredDuringCall;

export type SetupDecision = 'waiting' | 'connected' | 'connectedUnrecorded' | 'blocked';

/** After the invites of one recorded user settle: success if at least one invite was accepted. */
export function decideSetup(policy: PolicySpec, kind: CallKind, legs: Pick<Leg, 'outcome' | 'invitation'>[]): SetupDecision {
  const counted = legs.filter((l) => l.invitation !== 0);
  if (counted.some((l) => l.outcome === 'answered')) return 'connected';
  if (counted.some((l) => l.outcome === undefined)) return 'waiting';
  return requiredBefore(policy, kind) ? 'blocked' : 'connectedUnrecorded';
}

export type DropDecision = 'stillRecorded' | 'eject' | 'continueUnrecorded';

/** A recorder leg dropped during the call: the user stays if a peer leg is up, else fail-closed ejects. */
export function decideDrop(policy: PolicySpec, kind: CallKind, legs: Pick<Leg, 'state' | 'invitation' | 'outcome'>[]): DropDecision {
  const up = legs.filter((l) => l.invitation !== 0 && l.outcome === 'answered' && l.state !== 'terminated' && l.state !== 'terminating');
  if (up.length > 0) return 'stillRecorded';
  return requiredDuring(policy, kind) ? 'eject' : 'continueUnrecorded';
}
