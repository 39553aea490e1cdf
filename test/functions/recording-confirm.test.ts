// A lost outcome of updateRecordingStatus(recording) (asynchronous operation): ask again instead of failing; give up
// after RECORDING_CONFIRM_ATTEMPTS requests; a late outcome of an earlier request still counts. Pure.
import { describe, expect, it } from 'vitest';
import { dueWork, newCallModel, recordingClientContext, shouldStartRecording, type CallModel } from '../../functions/domain/call-model.js';
import { confirmTimedOut, isRecordingOutcome, RECORDING_CONFIRM_ATTEMPTS } from '../../functions/domain/recording-confirm.js';
import { applyCallState } from '../../functions/domain/call-state.js';
import { answeredCall, at, lifecycleSettings, T0 } from './helpers/answered-call.js';

/** An established call with media flowing, after `attempts` requests, the last one still pending. */
function waiting(attempts: number): CallModel {
  const m = newCallModel('call-1', answeredCall(), lifecycleSettings(), T0);
  m.callState = applyCallState(m.callState, { dedupId: 'n1', state: 'established' }).view;
  m.mediaFlowing = true;
  m.recordingAttempts = attempts;
  m.pendingRecordingOp = { clientContext: recordingClientContext('call-1', 'recording', attempts), operationId: `op-${attempts}`, since: at(1) };
  return m;
}

describe('no outcome for updateRecordingStatus(recording) in time', () => {
  it('is due after the confirm timeout, and then the request is made again', () => {
    const m = waiting(1);
    expect(dueWork(m, at(31))).toContain('recordingConfirmTimeout');
    expect(confirmTimedOut(m)).toBe('askAgain');
    expect(m.pendingRecordingOp).toBeNull();
    expect(shouldStartRecording(m)).toBe(true);
  });

  it('gives up after the last attempt', () => {
    const m = waiting(RECORDING_CONFIRM_ATTEMPTS);
    expect(confirmTimedOut(m)).toBe('giveUp');
  });
});

describe('which operation notifications are the outcome', () => {
  it('the pending request, by operation id or clientContext', () => {
    const m = waiting(2);
    expect(isRecordingOutcome(m, { operationId: 'op-2' })).toBe(true);
    expect(isRecordingOutcome(m, { operationId: 'x', clientContext: recordingClientContext('call-1', 'recording', 2) })).toBe(true);
  });

  it('a late outcome of an earlier request of the same call', () => {
    const m = waiting(2);
    expect(isRecordingOutcome(m, { operationId: 'op-1', clientContext: recordingClientContext('call-1', 'recording', 1) })).toBe(true);
  });

  it('not another call, another status, a later attempt, or when nothing is pending', () => {
    const m = waiting(2);
    expect(isRecordingOutcome(m, { operationId: 'x', clientContext: recordingClientContext('call-2', 'recording', 1) })).toBe(false);
    expect(isRecordingOutcome(m, { operationId: 'x', clientContext: recordingClientContext('call-1', 'failed', 1) })).toBe(false);
    expect(isRecordingOutcome(m, { operationId: 'x', clientContext: recordingClientContext('call-1', 'recording', 3) })).toBe(false);
    expect(isRecordingOutcome(m, { operationId: 'x', clientContext: null })).toBe(false);
    m.pendingRecordingOp = null;
    expect(isRecordingOutcome(m, { operationId: 'op-2' })).toBe(false);
  });
});
