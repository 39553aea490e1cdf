/**
 * The per-call orchestration's state and the pure decisions over it: deadlines (establish, keepAlive, watchdog,
 * recording confirmation), the live status for the dashboard, the worker roster payload and the final leg record.
 * JSON only, so it can be carried over `continueAsNew`.
 */
import type { RosterUpdate, SealResponse } from '../../contracts/worker-api/index.js';
import type { LegRecord, IntegrityState } from './call-document.js';
import { initialCallState, type CallStateView } from './call-state.js';
import type { LifecycleState, LiveCallStatus, UserVisibleRecordingStatus } from './lifecycle.js';
import { closeRoster, emptyRoster, type RosterState } from './roster.js';
import type { AnswerOutcome, LifecycleSettings } from './signals.js';
import { DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS, heartbeatDeadline, initialPin, type WorkerPin } from './worker-pin.js';

export interface CallModel {
  callId: string;
  answer: AnswerOutcome | null;
  settings: LifecycleSettings;
  lifecycle: LifecycleState;
  callState: CallStateView;
  roster: RosterState;
  recording: UserVisibleRecordingStatus;
  recordingAttempts: number;
  mediaFlowing: boolean;
  pendingRecordingOp: { clientContext: string; operationId: string | null; since: string } | null;
  failureReason: string | null;
  /** Dedup ids of recent signals of any kind (bounded). */
  seen: string[];
  startedAt: string;
  establishedAt: string | null;
  lastNotificationAt: string;
  lastProbeAt: string | null;
  nextKeepAliveAt: string;
  media: {
    lastHeartbeatAt: string | null;
    disconnects: number;
    gaps: number;
    sealedByWorker: boolean;
    manifestBlob: string | null;
    /** The worker holding the session now (absent in models carried over from before it existed: see pinOf). */
    pin?: WorkerPin;
    /** Why the recording of this leg is incomplete (e.g. its worker was lost and nothing adopted the session). */
    incompleteReason?: string | null;
  };
  hungUp: boolean;
  /** Set when the call is known to have ended without a terminated notification (watchdog, keepAlive 404). */
  endedBy: string | null;
  signalsThisExecution: number;
}

export const MAX_SEEN = 512;

const addMs = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

export function newCallModel(callId: string, answer: AnswerOutcome | null, settings: LifecycleSettings, now: string): CallModel {
  return {
    callId,
    answer,
    settings,
    lifecycle: 'answered',
    callState: initialCallState('incoming'),
    roster: emptyRoster(),
    recording: 'notRecording',
    recordingAttempts: 0,
    mediaFlowing: false,
    pendingRecordingOp: null,
    failureReason: null,
    seen: [],
    startedAt: now,
    establishedAt: null,
    lastNotificationAt: now,
    lastProbeAt: null,
    nextKeepAliveAt: addMs(now, settings.keepAliveIntervalMs),
    media: { lastHeartbeatAt: null, disconnects: 0, gaps: 0, sealedByWorker: false, manifestBlob: null },
    hungUp: false,
    endedBy: null,
    signalsThisExecution: 0,
  };
}

export function isCallModel(value: unknown): value is CallModel {
  return typeof value === 'object' && value !== null && typeof (value as CallModel).callId === 'string' && typeof (value as CallModel).lifecycle === 'string';
}

/** Records a dedup id; returns false when it was seen already. */
export function markSeen(m: CallModel, dedupId: string): boolean {
  if (m.seen.includes(dedupId)) return false;
  m.seen.push(dedupId);
  if (m.seen.length > MAX_SEEN) m.seen.splice(0, m.seen.length - MAX_SEEN);
  return true;
}

/** The call's worker pin (created from the answer's worker on first use). Null before an answered outcome. */
export function pinOf(m: CallModel): WorkerPin | null {
  if (m.answer?.outcome !== 'answered') return null;
  m.media.pin ??= initialPin(m.answer.workerId, m.startedAt);
  return m.media.pin;
}

/** The worker to send seal, roster, grant and release to. */
export function currentWorkerId(m: CallModel): string | null {
  return pinOf(m)?.workerId ?? null;
}

export type DueWork = 'establishTimeout' | 'keepAlive' | 'watchdog' | 'recordingConfirmTimeout' | 'workerHeartbeat';

function deadlines(m: CallModel): { work: DueWork; at: string }[] {
  const s = m.settings;
  const out: { work: DueWork; at: string }[] = [{ work: 'keepAlive', at: m.nextKeepAliveAt }];
  if (!m.callState.everEstablished && !m.endedBy) out.push({ work: 'establishTimeout', at: addMs(m.startedAt, s.establishTimeoutMs) });
  const lastSign = m.lastProbeAt && m.lastProbeAt > m.lastNotificationAt ? m.lastProbeAt : m.lastNotificationAt;
  out.push({ work: 'watchdog', at: addMs(lastSign, s.watchdogIntervalMs) });
  if (m.pendingRecordingOp) out.push({ work: 'recordingConfirmTimeout', at: addMs(m.pendingRecordingOp.since, s.recordingConfirmTimeoutMs) });
  const pin = m.media.pin;
  const hb = pin ? heartbeatDeadline(pin, m.media.lastHeartbeatAt, s.workerHeartbeatTimeoutMs ?? DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS) : null;
  if (hb) out.push({ work: 'workerHeartbeat', at: hb });
  return out;
}

/** The earliest deadline (the orchestrator's next durable timer). */
export function nextDeadline(m: CallModel): string {
  return deadlines(m).reduce((min, d) => (d.at < min ? d.at : min), '9999-12-31T23:59:59.999Z');
}

/** Work that is due at `now`, in a fixed order. */
export function dueWork(m: CallModel, now: string): DueWork[] {
  const order: DueWork[] = ['establishTimeout', 'recordingConfirmTimeout', 'workerHeartbeat', 'watchdog', 'keepAlive'];
  const due = new Set(deadlines(m).filter((d) => d.at <= now).map((d) => d.work));
  return order.filter((w) => due.has(w));
}

export function keepAliveDone(m: CallModel, now: string): void {
  m.nextKeepAliveAt = addMs(now, m.settings.keepAliveIntervalMs);
}

/** Whether the orchestration should ask Graph to confirm `recording` now. */
export function shouldStartRecording(m: CallModel): boolean {
  return (
    m.answer?.outcome === 'answered' &&
    m.answer.policy.record &&
    m.mediaFlowing &&
    m.callState.everEstablished &&
    m.callState.state !== 'terminating' &&
    m.callState.state !== 'terminated' &&
    m.endedBy === null &&
    m.recording === 'notRecording' &&
    m.pendingRecordingOp === null &&
    m.lifecycle !== 'failed'
  );
}

/** clientContext for updateRecordingStatus: unique per call and attempt, ≤ 256 characters. */
export function recordingClientContext(callId: string, status: string, attempt: number): string {
  return `${status}:${attempt}:${callId}`.slice(0, 256);
}

export function liveStatus(m: CallModel): LiveCallStatus {
  const a = m.answer;
  const present = Object.values(m.roster.participants).filter((p) => !p.isBot && p.intervals.some((i) => i.leftAt === null)).length;
  return {
    callId: m.callId,
    callChainId: a?.call.callChainId ?? null,
    tenantId: a?.call.tenantId ?? '',
    lifecycle: m.lifecycle,
    graphState: m.callState.state,
    recordingStatus: m.recording,
    workerId: m.media.pin?.workerId ?? a?.workerId ?? null,
    sessionId: a?.sessionId ?? null,
    ...(m.media.pin ? { worker: { lostSince: m.media.pin.lostSince, adoptions: m.media.pin.adoptions, previous: m.media.pin.previous } } : {}),
    participants: present,
    lastNotificationAt: m.lastNotificationAt,
    failureReason: m.failureReason,
  };
}

/** The roster payload for the worker (contract `RosterUpdate`). */
export function workerRosterUpdate(m: CallModel): RosterUpdate {
  const recordedId = m.answer?.call.recordedUser.participantId ?? null;
  const participants = Object.values(m.roster.participants).map((p) => {
    const first = p.intervals[0];
    const last = p.intervals[p.intervals.length - 1];
    return {
      participantId: p.participantId,
      ...(p.identity.displayName ? { displayName: p.identity.displayName } : {}),
      ...(p.identity.userId ? { userId: p.identity.userId } : {}),
      ...(p.identity.phoneNumber ? { phone: p.identity.phoneNumber } : {}),
      role: p.isBot ? 'recorder' : p.participantId === recordedId ? 'recordedUser' : 'participant',
      ...(first ? { joinedAt: first.joinedAt } : {}),
      ...(last?.leftAt ? { leftAt: last.leftAt } : {}),
      sourceIds: p.sourceIds.filter((s) => /^\d+$/.test(s)).slice(0, 16),
    };
  });
  const speakerMap = Object.fromEntries(Object.entries(m.roster.speakerMap).filter(([k]) => /^\d+$/.test(k)));
  return {
    ...(m.roster.lastSequence !== null && m.roster.lastSequence >= 0 ? { sequenceNumber: m.roster.lastSequence } : {}),
    participants,
    speakerMap,
  };
}

export function integrityOf(m: CallModel, seal: SealResponse | null): IntegrityState {
  if (m.recording === 'failed' || m.lifecycle === 'failed') return 'failed';
  if (!seal) return m.answer?.outcome === 'answered' ? 'incomplete' : 'notRecorded';
  if (m.media.incompleteReason) return 'incomplete';
  if (seal.nothingRecorded) return 'notRecorded';
  return 'sealed';
}

/** The leg record persisted by the finalize activity. Requires an answer result (answered or failed). */
export function buildLeg(m: CallModel, now: string, seal: SealResponse | null): LegRecord {
  const a = m.answer;
  if (!a) throw new Error('buildLeg needs the answer result');
  const roster = closeRoster(m.roster, now);
  return {
    callId: m.callId,
    tenantId: a.call.tenantId,
    callChainId: a.call.callChainId,
    direction: a.call.direction,
    recordedUser: a.call.recordedUser,
    otherSide: a.call.otherSide,
    workerId: m.media.pin?.workerId ?? a.workerId,
    sessionId: a.sessionId,
    answeredAt: a.outcome === 'answered' ? a.answeredAt : null,
    establishedAt: m.establishedAt,
    endedAt: now,
    lifecycle: m.lifecycle === 'failed' ? 'failed' : 'finalized',
    recordingStatus: m.recording,
    terminatedReason: m.callState.terminatedReason,
    failureReason: m.failureReason ?? (a.outcome !== 'answered' ? a.reason : null),
    policy: a.policy,
    participants: Object.values(roster.participants),
    speakerMap: roster.speakerMap,
    integrity: integrityOf(m, seal),
    seal: seal ? { ...seal } : null,
    customData: {
      ...(a.call.policyIdentifier ? { policyIdentifier: a.call.policyIdentifier } : {}),
      ...(a.call.mediaHostedRegion ? { mediaHostedRegion: a.call.mediaHostedRegion } : {}),
      ...(m.endedBy ? { endedBy: m.endedBy } : {}),
      ...(m.media.incompleteReason ? { incompleteReason: m.media.incompleteReason } : {}),
      ...(m.media.pin && m.media.pin.previous.length > 0 ? { previousWorkers: m.media.pin.previous.join(',') } : {}),
    },
  };
}
