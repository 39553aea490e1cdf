/**
 * Names, inputs and outputs of the activities the call orchestration calls. Types only (JSON; ISO times).
 * Expected outcomes are discriminated unions; transient faults are thrown by the activity and retried by the runtime.
 */
import type { RecordingGrantRequest, RosterUpdate, SealResponse } from '../../contracts/worker-api/index.js';
import type { RecordingStatusValue } from '../../contracts/graph/index.js';
import type { LegRecord } from './call-document.js';

export const ACTIVITY = {
  updateRecordingStatus: 'updateRecordingStatus',
  setWorkerRecording: 'setWorkerRecording',
  sendRoster: 'sendRoster',
  keepAlive: 'keepAliveCall',
  getCall: 'getCall',
  hangUp: 'hangUpCall',
  sealRecording: 'sealRecording',
  finalizeCall: 'finalizeCall',
  releaseSession: 'releaseSession',
} as const;

export interface CallRef {
  tenantId: string;
  callId: string;
}
export interface SessionRef {
  workerId: string;
  sessionId: string;
}

export interface UpdateRecordingStatusInput extends CallRef {
  status: RecordingStatusValue;
  clientContext: string;
}
export type UpdateRecordingStatusResult =
  | { outcome: 'completed'; operationId: string | null }
  | { outcome: 'pending'; operationId: string | null }
  | { outcome: 'refused'; httpStatus: number; code: string | null; message: string }
  | { outcome: 'callGone' };

export interface SetWorkerRecordingInput extends SessionRef {
  status: RecordingGrantRequest['status'];
  clientContext: string;
  at: string;
}
export type SessionResult = { outcome: 'done' } | { outcome: 'sessionGone' };

export interface SendRosterInput extends SessionRef {
  update: RosterUpdate;
}

export type KeepAliveResult = { outcome: 'alive' } | { outcome: 'callGone' };
export type GetCallResult =
  | { outcome: 'present'; state: string | null; resultInfo: { code?: number; subcode?: number; message?: string | null } | null }
  | { outcome: 'callGone' };
export type HangUpResult = { outcome: 'hungUp' } | { outcome: 'callGone' };

export interface SealInput extends SessionRef {
  reason: string;
}
export type SealResult = { outcome: 'sealed'; seal: SealResponse } | { outcome: 'sessionGone' };

export interface FinalizeInput {
  leg: LegRecord;
  manifestBlob: string | null;
}
export type FinalizeResult = {
  outcome: 'persisted';
  conversationId: string;
  callJsonBlob: string;
  blob: 'created' | 'updated' | 'unchanged';
  cosmos: 'created' | 'updated' | 'unchanged';
};
