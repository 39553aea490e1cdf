/**
 * Waiting for Graph's outcome of updateRecordingStatus(recording) when it answered `notStarted`/`running`: the outcome
 * comes later as an operation notification, and that notification can be lost (a delivery failure, or a batch cut at
 * a continueAsNew). A lost outcome must not turn a working recording into a failed one, so when none arrives in time
 * the orchestration asks again with a new clientContext (reporting `recording` again changes nothing Teams shows);
 * only after RECORDING_CONFIRM_ATTEMPTS requests without an outcome is recording failed. A late outcome of an earlier
 * request of the same call still counts. Pure.
 */
import { recordingClientContext, type CallModel } from './call-model.js';

/** updateRecordingStatus(recording) requests made for one call before giving up for lack of an outcome. */
export const RECORDING_CONFIRM_ATTEMPTS = 3;

/** The confirm wait ran out: forget the pending operation; ask again, or give up after the last attempt. */
export function confirmTimedOut(m: CallModel): 'askAgain' | 'giveUp' {
  m.pendingRecordingOp = null;
  return m.recordingAttempts < RECORDING_CONFIRM_ATTEMPTS ? 'askAgain' : 'giveUp';
}

/** Whether an operation notification is the outcome of one of this call's updateRecordingStatus(recording) requests. */
export function isRecordingOutcome(m: CallModel, op: { operationId: string; clientContext?: string | null | undefined }): boolean {
  const pending = m.pendingRecordingOp;
  if (!pending) return false;
  if (pending.operationId !== null && op.operationId === pending.operationId) return true;
  if (!op.clientContext) return false;
  for (let attempt = 1; attempt <= m.recordingAttempts; attempt += 1) {
    if (op.clientContext === recordingClientContext(m.callId, 'recording', attempt)) return true;
  }
  return false;
}
