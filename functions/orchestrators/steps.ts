/**
 * Typed generator steps for orchestrators: each activity call is a `yield*`-able step with its input and result
 * types, plus a replay-aware logger. No I/O here: activities do it.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import {
  ACTIVITY,
  type CallRef, type FinalizeInput, type FinalizeResult, type GetCallResult, type HangUpResult, type KeepAliveResult,
  type SealInput, type SealResult, type SendRosterInput, type SessionRef, type SessionResult, type SetWorkerRecordingInput,
  type UpdateRecordingStatusInput, type UpdateRecordingStatusResult,
} from '../domain/activity-contracts.js';

export type Step<T> = Generator<Task, T, unknown>;

/** Control-path calls: three quick attempts (the runtime adds the timer between attempts). */
const QUICK = (() => {
  const r = new df.RetryOptions(1_000, 3);
  r.backoffCoefficient = 2;
  return r;
})();
/** Persistence: more patience. */
const PATIENT = (() => {
  const r = new df.RetryOptions(2_000, 6);
  r.backoffCoefficient = 2;
  r.maxRetryIntervalInMilliseconds = 30_000;
  return r;
})();

function* call<I, O>(ctx: OrchestrationContext, name: string, input: I, retry: df.RetryOptions): Step<O> {
  const result = yield ctx.df.callActivityWithRetry(name, retry, input);
  return result as O;
}

export const steps = {
  updateRecordingStatus: (ctx: OrchestrationContext, input: UpdateRecordingStatusInput) =>
    call<UpdateRecordingStatusInput, UpdateRecordingStatusResult>(ctx, ACTIVITY.updateRecordingStatus, input, QUICK),
  setWorkerRecording: (ctx: OrchestrationContext, input: SetWorkerRecordingInput) =>
    call<SetWorkerRecordingInput, SessionResult>(ctx, ACTIVITY.setWorkerRecording, input, QUICK),
  sendRoster: (ctx: OrchestrationContext, input: SendRosterInput) => call<SendRosterInput, SessionResult>(ctx, ACTIVITY.sendRoster, input, QUICK),
  keepAlive: (ctx: OrchestrationContext, input: CallRef) => call<CallRef, KeepAliveResult>(ctx, ACTIVITY.keepAlive, input, QUICK),
  getCall: (ctx: OrchestrationContext, input: CallRef) => call<CallRef, GetCallResult>(ctx, ACTIVITY.getCall, input, QUICK),
  hangUp: (ctx: OrchestrationContext, input: CallRef) => call<CallRef, HangUpResult>(ctx, ACTIVITY.hangUp, input, QUICK),
  seal: (ctx: OrchestrationContext, input: SealInput) => call<SealInput, SealResult>(ctx, ACTIVITY.sealRecording, input, PATIENT),
  /** Seal on a worker presumed lost: a short try. */
  sealQuick: (ctx: OrchestrationContext, input: SealInput) => call<SealInput, SealResult>(ctx, ACTIVITY.sealRecording, input, QUICK),
  finalize: (ctx: OrchestrationContext, input: FinalizeInput) => call<FinalizeInput, FinalizeResult>(ctx, ACTIVITY.finalizeCall, input, PATIENT),
  releaseSession: (ctx: OrchestrationContext, input: SessionRef) => call<SessionRef, SessionResult>(ctx, ACTIVITY.releaseSession, input, QUICK),
};

/** Runs a step; a failure after all retries becomes `{ failed: message }` instead of failing the orchestration. */
export function* attempt<T>(step: Step<T>): Step<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: yield* step };
  } catch (err) {
    return { ok: false, error: (err as Error)?.message ?? String(err) };
  }
}

/** Replay-aware structured logger: logs only on the first execution of each line. */
export function orchestrationLog(ctx: OrchestrationContext, fields: Record<string, unknown>) {
  const write = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => {
    if (ctx.df.isReplaying) return;
    const line = JSON.stringify({ level, msg, at: ctx.df.currentUtcDateTime.toISOString(), ...fields, ...extra });
    if (level === 'error') ctx.error(line);
    else if (level === 'warn') ctx.warn(line);
    else ctx.log(line);
  };
  return {
    info: (msg: string, extra?: Record<string, unknown>) => write('info', msg, extra),
    warn: (msg: string, extra?: Record<string, unknown>) => write('warn', msg, extra),
    error: (msg: string, extra?: Record<string, unknown>) => write('error', msg, extra),
  };
}
export type OrchestrationLog = ReturnType<typeof orchestrationLog>;
