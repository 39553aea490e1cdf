/**
 * The conversation document (Cosmos item and `call.json` in Blob): one item per conversation, keyed by `callChainId`,
 * holding every recorded leg. Pure builders; the finalize activity persists it with create-or-conflict / ETag.
 */
import type { PartyIdentity } from '../../contracts/graph/index.js';
import type { LifecycleState, UserVisibleRecordingStatus } from './lifecycle.js';
import type { ResolvedPolicy } from './policy.js';
import type { TimelineParticipant } from './roster.js';
import type { IncomingCallSummary } from './signals.js';

export type IntegrityState = 'sealed' | 'incomplete' | 'notRecorded' | 'failed';

/** A finished leg: who and what the webhook learned at the invite, plus how the leg went. */
export interface LegRecord extends Pick<IncomingCallSummary, 'callId' | 'tenantId' | 'callChainId' | 'direction' | 'recordedUser' | 'otherSide'> {
  workerId: string | null;
  sessionId: string | null;
  answeredAt: string | null;
  establishedAt: string | null;
  endedAt: string;
  lifecycle: LifecycleState;
  recordingStatus: UserVisibleRecordingStatus;
  terminatedReason: { code?: number; subcode?: number; message?: string | null } | null;
  failureReason: string | null;
  policy: ResolvedPolicy;
  participants: TimelineParticipant[];
  speakerMap: Record<string, string>;
  integrity: IntegrityState;
  /** Seal summary from the worker (manifest location, streams, chunk counts, gaps), passed through. */
  seal: Record<string, unknown> | null;
  customData: Record<string, string>;
}

export interface ConversationParticipant extends PartyIdentity {
  participantIds: string[];
}

export interface ConversationDocument {
  id: string;
  docType: 'conversation';
  schemaVersion: 1;
  tenantId: string;
  callChainId: string | null;
  direction: string | null;
  region: string;
  policy: ResolvedPolicy;
  startedAt: string | null;
  endedAt: string;
  integrity: IntegrityState;
  recordingStatus: UserVisibleRecordingStatus;
  participants: ConversationParticipant[];
  /** Flat search keys: user object ids and phone numbers of everyone in the conversation. */
  userIds: string[];
  phoneNumbers: string[];
  customData: Record<string, string>;
  legs: LegRecord[];
}

/** Conversation id: the call chain id when Graph gave one, else the leg's call id. Safe for Cosmos ids. */
export function conversationIdOf(leg: Pick<LegRecord, 'callChainId' | 'callId'>): string {
  return (leg.callChainId ?? leg.callId).toLowerCase();
}

const INTEGRITY_RANK: Record<IntegrityState, number> = { sealed: 0, notRecorded: 1, incomplete: 2, failed: 3 };
const STATUS_RANK: Record<UserVisibleRecordingStatus, number> = { notRecording: 0, recording: 1, failed: 2 };

function minIso(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

function keyOf(p: PartyIdentity): string | null {
  return p.userId ? `u:${p.userId}` : p.phoneNumber ? `p:${p.phoneNumber}` : p.applicationInstanceId ? `a:${p.applicationInstanceId}` : null;
}

/** Adds or replaces a leg (by call id) in a conversation; idempotent. */
export function mergeLeg(doc: ConversationDocument | null, leg: LegRecord): ConversationDocument {
  const legs = [...(doc?.legs ?? []).filter((l) => l.callId !== leg.callId), leg].sort((a, b) =>
    (a.answeredAt ?? a.endedAt) < (b.answeredAt ?? b.endedAt) ? -1 : 1,
  );
  const participants = new Map<string, ConversationParticipant>();
  for (const l of legs) {
    for (const p of l.participants) {
      if (p.isBot) continue;
      const key = keyOf(p.identity) ?? `pid:${p.participantId}`;
      const existing = participants.get(key);
      if (existing) {
        if (!existing.participantIds.includes(p.participantId)) existing.participantIds.push(p.participantId);
      } else {
        participants.set(key, { ...p.identity, participantIds: [p.participantId] });
      }
    }
    for (const party of [l.recordedUser, l.otherSide]) {
      if (!party) continue;
      const key = keyOf(party);
      if (key && !participants.has(key)) {
        const { userId, phoneNumber, applicationInstanceId, displayName, tenantId } = party;
        participants.set(key, { userId, phoneNumber, applicationInstanceId, displayName, tenantId, participantIds: [] });
      }
    }
  }
  const list = [...participants.values()].map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as ConversationParticipant);
  const worstIntegrity = legs.reduce<IntegrityState>((w, l) => (INTEGRITY_RANK[l.integrity] > INTEGRITY_RANK[w] ? l.integrity : w), 'sealed');
  const status = legs.reduce<UserVisibleRecordingStatus>((w, l) => (STATUS_RANK[l.recordingStatus] > STATUS_RANK[w] ? l.recordingStatus : w), 'notRecording');
  return {
    id: conversationIdOf(leg),
    docType: 'conversation',
    schemaVersion: 1,
    tenantId: leg.tenantId,
    callChainId: leg.callChainId,
    direction: doc?.direction ?? leg.direction,
    region: doc?.region ?? leg.policy.region,
    policy: doc?.policy ?? leg.policy,
    startedAt: legs.reduce<string | null>((m, l) => minIso(m, l.answeredAt), null),
    endedAt: legs.reduce((m, l) => (l.endedAt > m ? l.endedAt : m), leg.endedAt),
    integrity: worstIntegrity,
    recordingStatus: status,
    participants: list,
    userIds: [...new Set(list.flatMap((p) => (p.userId ? [p.userId] : [])))].sort(),
    phoneNumbers: [...new Set(list.flatMap((p) => (p.phoneNumber ? [p.phoneNumber] : [])))].sort(),
    customData: { ...(doc?.customData ?? {}), ...leg.customData },
    legs,
  };
}
