/**
 * What crosses into the per-call orchestration: its input and the signals raised to it (one event name, FIFO).
 * JSON only (ISO strings for times).
 */
import type { MediaEvent } from '../../contracts/worker-api/index.js';
import type { BotData, PartyIdentity } from '../../contracts/graph/index.js';
import type { ClassifiedNotification } from './classify.js';
import type { ResolvedPolicy } from './policy.js';

/** The orchestration's only external event name. */
export const CALL_SIGNAL_EVENT = 'signal';
export const CALL_ORCHESTRATOR = 'callLifecycle';

export interface LifecycleSettings {
  establishTimeoutMs: number;
  keepAliveIntervalMs: number;
  watchdogIntervalMs: number;
  answerWaitTimeoutMs: number;
  recordingConfirmTimeoutMs: number;
  maxEventsPerExecution: number;
  /** No heartbeat from the call's worker for this long → it is shown as lost (absent in older inputs: 45 s). */
  workerHeartbeatTimeoutMs?: number;
}

/** What the webhook learned from the incoming-call notification. */
export interface IncomingCallSummary {
  callId: string;
  tenantId: string;
  callChainId: string | null;
  direction: string | null;
  recordedUser: PartyIdentity & { participantId?: string | null; participationMethod?: string | null };
  otherSide: (PartyIdentity & { participationMethod?: string | null }) | null;
  myParticipantId: string | null;
  policyIdentifier: string | null;
  mediaHostedRegion: string | null;
  botData: BotData | null;
}

/** Result of the answer fast path, handed to the orchestration. */
export type AnswerOutcome =
  | {
      outcome: 'answered';
      call: IncomingCallSummary;
      policy: ResolvedPolicy;
      workerId: string;
      sessionId: string;
      receivedAt: string;
      answeredAt: string;
      answerLatencyMs: number;
    }
  | {
      outcome: 'failed' | 'declined';
      call: IncomingCallSummary;
      policy: ResolvedPolicy;
      reason: string;
      receivedAt: string;
      /** Worker session reserved before the failure (released by the webhook). */
      workerId: string | null;
      sessionId: string | null;
    };

export type CallSignal =
  | { type: 'graph'; dedupId: string; receivedAt: string; notification: Exclude<ClassifiedNotification, { kind: 'incomingCall' }> }
  | { type: 'answered'; dedupId: string; answer: AnswerOutcome }
  | { type: 'media'; dedupId: string; event: MediaEvent };

export interface CallOrchestrationInput {
  callId: string;
  /** Null when an early notification started the instance before the answer path did. */
  answer: AnswerOutcome | null;
  settings: LifecycleSettings;
  /** Signals that arrived before the instance existed (start-if-missing). */
  early: CallSignal[];
  /** State carried over `continueAsNew`. */
  carried: unknown;
}
