// The simulator's state: conversations (one scenario run), their participants, the recorder's call legs, users' view.
import type { Scenario } from './scenario.js';

export type LegState = 'incoming' | 'establishing' | 'established' | 'terminating' | 'terminated';
export type RecordingStatus = 'notRecording' | 'recording' | 'failed';

export interface ResultInfo {
  code: number;
  subcode: number;
  message: string;
}

export interface SimParticipant {
  key: string;
  /** Graph participant id (roster). */
  participantId: string;
  /** Media source id (MSI) as Graph sends it in mediaStreams[].sourceId. */
  sourceId: string;
  kind: 'user' | 'pstn' | 'guest';
  displayName: string;
  /** Entra object id for users/guests. */
  objectId?: string;
  phone?: string;
  tenantId: string;
  recorded: boolean;
  metadata?: string;
  inCall: boolean;
  onHold: boolean;
  absent: boolean;
  /** Scheduled join/leave (simulated ms from the start). */
  joinAtMs: number;
  leaveAtMs?: number;
}

export interface Leg {
  id: string;
  conversationId: string;
  /** The recorded user this invite is for. */
  recordedKey: string;
  /** 1 = first invite, 2 = concurrent/paired invite; 0 = short-lived extra leg. */
  invitation: 0 | 1 | 2;
  appInstanceId: string;
  myParticipantId: string;
  state: LegState;
  createdAtMs: number;
  /** Epoch ms when the invite went out; the 5 s answer deadline counts from here. */
  inviteSentAt?: number;
  /** Real ms from sending the invite to the answer arriving. */
  answerLatencyMs?: number;
  outcome?: 'answered' | 'rejected' | 'timeout' | 'unanswered';
  callbackUri?: string;
  mediaConfigBlob?: string;
  resultInfo?: ResultInfo;
  lastKeepAliveSim: number;
  recordingStatus?: RecordingStatus;
  operations: { id: string; clientContext: string; status: string; type: string }[];
  transferorKey?: string;
}

export interface ViewEntry {
  status: RecordingStatus;
  at: string;
  legId: string;
}

/** What a recorded user experiences: is their call allowed, and what does the recording banner say. */
export interface UserView {
  key: string;
  participantId: string;
  call: 'pending' | 'connected' | 'blocked' | 'ejected' | 'ended';
  callReason?: string;
  recording: RecordingStatus | 'none';
  history: ViewEntry[];
  callHistory: { call: UserView['call']; at: string; reason?: string }[];
}

export interface TimelineEntry {
  at: string;
  simAt: string;
  type: string;
  detail?: Record<string, unknown>;
}

export interface DeliveryRecord {
  seq: number;
  legId: string;
  url: string;
  kind: string;
  attempts: number;
  status: number | 'error' | 'dropped';
  duplicate?: boolean;
  at: string;
}

export interface Conversation {
  id: string;
  callChainId: string;
  tenantId: string;
  scenario: Scenario;
  participants: SimParticipant[];
  legs: Leg[];
  users: Map<string, UserView>;
  timeline: TimelineEntry[];
  deliveries: DeliveryRecord[];
  startedAt: string;
  startedSimMs: number;
  endedAt?: string;
  endedSimMs?: number;
  state: 'inviting' | 'active' | 'ended';
  /** Ground-truth file paths per leg. */
  groundTruthFiles: Record<string, string>;
}
