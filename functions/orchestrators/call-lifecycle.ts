/**
 * The per-call orchestration (instance id = Graph call id). One readable lifecycle:
 *   answered → establishing → established → recording → terminating → finalized | failed
 * Deterministic: all I/O goes through activities (steps.ts); time is `currentUtcDateTime`; timeouts are races
 * between the signal channel and a durable timer, and the losing timer is cancelled.
 */
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import type { MediaEvent, SealResponse } from '../../contracts/worker-api/index.js';
import { applyCallState, isEnded } from '../domain/call-state.js';
import {
  buildLeg, currentWorkerId, dueWork, isCallModel, keepAliveDone, liveStatus, markSeen, newCallModel, nextDeadline, pinOf,
  recordingClientContext, shouldStartRecording, workerRosterUpdate, type CallModel,
} from '../domain/call-model.js';
import { applyAdoption } from '../domain/worker-pin.js';
import { advanceLifecycle } from '../domain/lifecycle.js';
import { applyProbe } from '../domain/probe.js';
import { confirmTimedOut, isRecordingOutcome } from '../domain/recording-confirm.js';
import { applyRoster } from '../domain/roster.js';
import { CALL_SIGNAL_EVENT, type CallOrchestrationInput, type CallSignal } from '../domain/signals.js';
import { attempt, orchestrationLog, steps, type OrchestrationLog, type Step } from './steps.js';

export interface CallLifecycleResult {
  callId: string;
  lifecycle: CallModel['lifecycle'];
  recordingStatus: CallModel['recording'];
  conversationId: string | null;
  callJsonBlob: string | null;
  failureReason: string | null;
}

const nowIso = (ctx: OrchestrationContext): string => ctx.df.currentUtcDateTime.toISOString();

/**
 * The signal channel (one external event name). durable-functions 3.5 gives an arriving event to the most recently
 * tracked open wait and re-tracks a wait each time it is yielded again, so re-racing one wait task against a new
 * timer would leave a duplicate entry that swallows a later event. Instead every race uses a fresh wait; a wait that
 * lost its race stays open, may still receive an event later, and is drained (newest first = arrival order) before a
 * new wait is created. Nothing is ever lost or consumed twice within an execution; `next(now)` is the drain that
 * claims what the library still holds before continueAsNew (see drainDeadline).
 */
class SignalChannel {
  private readonly waits: Task[] = [];
  constructor(
    private readonly ctx: OrchestrationContext,
    readonly queue: CallSignal[],
  ) {}

  private takeCompleted(): CallSignal | null {
    for (let i = this.waits.length - 1; i >= 0; i -= 1) {
      const w = this.waits[i];
      if (w?.isCompleted) {
        this.waits.splice(i, 1);
        return w.result as CallSignal;
      }
    }
    return null;
  }

  /** Next signal, or null when the deadline passed first. */
  *next(deadline: string): Step<CallSignal | null> {
    const queued = this.queue.shift() ?? this.takeCompleted();
    if (queued) return queued;
    const wait = this.ctx.df.waitForExternalEvent(CALL_SIGNAL_EVENT);
    this.waits.push(wait);
    const timer: TimerTask = this.ctx.df.createTimer(new Date(deadline));
    const winner = yield this.ctx.df.Task.any([wait, timer]);
    if (winner === wait) {
      timer.cancel();
      this.waits.splice(this.waits.indexOf(wait), 1);
      return wait.result as CallSignal;
    }
    return null;
  }
}

export function* callLifecycle(ctx: OrchestrationContext): Step<CallLifecycleResult | null> {
  const input = ctx.df.getInput<CallOrchestrationInput>();
  const m: CallModel = isCallModel(input.carried) ? input.carried : newCallModel(input.callId, input.answer, input.settings, nowIso(ctx));
  m.signalsThisExecution = 0;
  const channel = new SignalChannel(ctx, [...input.early]);
  const log = orchestrationLog(ctx, { callId: m.callId, orchestration: 'callLifecycle' });

  if (!m.answer) {
    const got = yield* waitForAnswer(ctx, m, channel);
    if (!got) {
      log.warn('no answer result arrived for notifications of this call; nothing to record', { waitedMs: m.settings.answerWaitTimeoutMs });
      ctx.df.setCustomStatus({ ...liveStatus(m), lifecycle: 'failed', failureReason: 'call was never answered by this recorder' });
      return null;
    }
  }
  const answer = m.answer;
  if (!answer) return null;
  const clog = orchestrationLog(ctx, { callId: m.callId, callChainId: answer.call.callChainId, tenantId: answer.call.tenantId });

  if (answer.outcome !== 'answered') {
    // failed: the recorder could not answer (users see failed); declined: the policy does not record this call.
    if (answer.outcome === 'failed') {
      m.lifecycle = 'failed';
      m.recording = 'failed';
    }
    m.failureReason = answer.reason;
    return yield* finish(ctx, m, clog);
  }
  if (m.lifecycle === 'answered') m.lifecycle = 'establishing';
  publish(ctx, m);

  while (!isEnded(m.callState) && m.endedBy === null) {
    // Time to continue as new: first drain (see drainDeadline); only a drain that finds nothing ends the execution.
    const draining = m.signalsThisExecution >= m.settings.maxEventsPerExecution;
    const signal = yield* channel.next(draining ? drainDeadline(ctx) : nextDeadline(m));
    if (signal === null && draining) {
      clog.info('continuing as new to keep history small', { signals: m.signalsThisExecution });
      // The whole model is carried, with `seen` (the dedup ids of recent signals): a re-sent signal is not applied twice.
      const next: CallOrchestrationInput = { callId: m.callId, answer: m.answer, settings: m.settings, early: [], carried: m };
      ctx.df.continueAsNew(next);
      return null;
    }
    if (signal === null) {
      yield* onTimers(ctx, m, clog);
    } else {
      yield* onSignal(ctx, m, signal, clog);
      m.signalsThisExecution += 1;
    }
    publish(ctx, m);
  }
  return yield* finish(ctx, m, clog);
}

/**
 * The deadline of the drain before continueAsNew: now (the orchestration's clock). durable-functions stops reading an
 * episode's history at the event after which the code called continueAsNew, and an event it buffered because no wait
 * was open is dropped with the execution (JS has no preserveUnprocessedEvents). Racing a fresh wait against a timer
 * due now claims a buffered event at once (a yielded wait takes it), and an event later in the same batch completes
 * the wait before the timer's TimerFired comes; so the execution ends only in an episode that had nothing pending up
 * to the timer. Overdue call deadlines are left to the next execution, whose first timer fires at once.
 */
function drainDeadline(ctx: OrchestrationContext): string {
  return nowIso(ctx);
}

/** Started by an early notification: wait for the answer path's result, queueing everything else. */
function* waitForAnswer(ctx: OrchestrationContext, m: CallModel, channel: SignalChannel): Step<boolean> {
  const deadline = new Date(ctx.df.currentUtcDateTime.getTime() + m.settings.answerWaitTimeoutMs).toISOString();
  const held: CallSignal[] = [];
  for (;;) {
    const signal = yield* channel.next(deadline);
    if (signal === null) return false;
    if (signal.type === 'answered') {
      m.answer = signal.answer;
      markSeen(m, signal.dedupId);
      channel.queue.unshift(...held);
      return true;
    }
    held.push(signal);
  }
}

function publish(ctx: OrchestrationContext, m: CallModel): void {
  ctx.df.setCustomStatus(liveStatus(m));
}

function* onSignal(ctx: OrchestrationContext, m: CallModel, signal: CallSignal, log: OrchestrationLog): Step<void> {
  if (!markSeen(m, signal.dedupId)) return;
  const now = nowIso(ctx);
  if (signal.type === 'answered') return;

  if (signal.type === 'media') {
    const e = signal.event;
    if (e.sessionId !== m.answer?.sessionId) {
      log.warn('media event for another session ignored', { sessionId: e.sessionId });
      return;
    }
    if (e.type === 'sessionAdopted') {
      yield* onAdopted(ctx, m, e, log);
      return;
    }
    const pin = pinOf(m);
    const fromPinned = pin === null || e.workerId === pin.workerId;
    if (e.type === 'mediaFlowing') m.mediaFlowing = true;
    else if (e.type === 'heartbeat') {
      // Only the pinned worker's heartbeats keep the call's worker alive (an old worker's late ones do not).
      if (fromPinned) {
        m.media.lastHeartbeatAt = e.at;
        if (pin) pin.lostSince = null;
      }
    } else if (e.type === 'bridgeDisconnected') m.media.disconnects += 1;
    else if (e.type === 'streamGap') m.media.gaps += 1;
    else if (e.type === 'sealed' && fromPinned) {
      m.media.sealedByWorker = true;
      m.media.manifestBlob = e.manifestBlob;
    }
    yield* maybeStartRecording(ctx, m, log);
    return;
  }

  m.lastNotificationAt = now;
  const n = signal.notification;
  if (n.kind === 'callState') {
    const r = applyCallState(m.callState, { dedupId: n.dedupId, state: n.state, deleted: n.deleted, resultInfo: n.resultInfo });
    m.callState = r.view;
    if (!r.applied) return;
    if (m.callState.everEstablished && m.establishedAt === null) {
      m.establishedAt = now;
      m.lifecycle = advanceLifecycle(m.lifecycle, 'established');
    }
    if (m.callState.state === 'terminating' || m.callState.state === 'terminated') m.lifecycle = advanceLifecycle(m.lifecycle, 'terminating');
    log.info('call state', { state: m.callState.state, lifecycle: m.lifecycle });
    yield* maybeStartRecording(ctx, m, log);
  } else if (n.kind === 'roster') {
    const r = applyRoster(m.roster, {
      participants: n.participants, delta: n.delta, sequenceNumber: n.sequenceNumber, at: now, botParticipantId: m.answer?.call.myParticipantId ?? null,
    });
    m.roster = r.state;
    if (r.applied && r.changed && m.answer?.outcome === 'answered') {
      const sent = yield* attempt(steps.sendRoster(ctx, { workerId: currentWorkerId(m) ?? m.answer.workerId, sessionId: m.answer.sessionId, update: workerRosterUpdate(m) }));
      if (!sent.ok) log.warn('roster not delivered to the worker', { error: sent.error });
    }
  } else if (n.kind === 'operation') {
    const pending = m.pendingRecordingOp;
    if (!pending || !isRecordingOutcome(m, { operationId: n.operationId, clientContext: n.operation.clientContext })) return;
    if (n.operation.status === 'completed') {
      m.pendingRecordingOp = null;
      yield* grantWorker(ctx, m, pending.clientContext, log);
    } else if (n.operation.status === 'failed') {
      m.pendingRecordingOp = null;
      yield* recordingFailed(ctx, m, `updateRecordingStatus(recording) failed: ${n.operation.resultInfo?.code ?? ''} ${n.operation.resultInfo?.message ?? ''}`.trim(), log);
    }
  }
}

/** On media flowing and an established call: ask Graph to confirm `recording`; only its success lets the worker persist. */
function* maybeStartRecording(ctx: OrchestrationContext, m: CallModel, log: OrchestrationLog): Step<void> {
  if (!shouldStartRecording(m) || m.answer?.outcome !== 'answered') return;
  m.recordingAttempts += 1;
  const clientContext = recordingClientContext(m.callId, 'recording', m.recordingAttempts);
  const res = yield* attempt(steps.updateRecordingStatus(ctx, { tenantId: m.answer.call.tenantId, callId: m.callId, status: 'recording', clientContext }));
  if (!res.ok) {
    yield* recordingFailed(ctx, m, `updateRecordingStatus(recording) could not be confirmed: ${res.error}`, log);
    return;
  }
  const r = res.value;
  if (r.outcome === 'completed') {
    yield* grantWorker(ctx, m, clientContext, log);
  } else if (r.outcome === 'pending') {
    m.pendingRecordingOp = { clientContext, operationId: r.operationId, since: nowIso(ctx) };
  } else if (r.outcome === 'refused') {
    yield* recordingFailed(ctx, m, `updateRecordingStatus(recording) refused: ${r.httpStatus} ${r.code ?? ''} ${r.message}`.trim(), log);
  } else {
    m.endedBy = 'updateRecordingStatus: call gone';
  }
}

/**
 * Another worker of the pool adopted the session (the bridge moved there after its worker was lost): re-pin the call
 * to it, unless this event is older than the current pin; then re-send what the new worker needs: the grant (only if
 * Graph had confirmed recording: nothing is persisted before it) and the roster.
 */
function* onAdopted(ctx: OrchestrationContext, m: CallModel, e: Extract<MediaEvent, { type: 'sessionAdopted' }>, log: OrchestrationLog): Step<void> {
  const pin = pinOf(m);
  if (!pin || m.answer?.outcome !== 'answered') return;
  const r = applyAdoption(pin, { workerId: e.workerId, at: e.at });
  m.media.pin = r.pin;
  if (!r.repinned) {
    log.info('sessionAdopted does not move the call', { workerId: e.workerId, why: r.why, pinnedTo: r.pin.workerId });
    return;
  }
  log.warn('session moved to another worker', { from: r.from, to: e.workerId, durable: e.durable });
  if (m.recording === 'recording') {
    const clientContext = recordingClientContext(m.callId, 'recording', m.recordingAttempts);
    const granted = yield* attempt(steps.setWorkerRecording(ctx, {
      workerId: e.workerId, sessionId: m.answer.sessionId, status: 'granted', clientContext, at: nowIso(ctx),
    }));
    if (!granted.ok || granted.value.outcome !== 'done') log.error('grant not delivered to the adopting worker', { workerId: e.workerId, error: granted.ok ? 'session gone' : granted.error });
  }
  if (Object.keys(m.roster.participants).length > 0) {
    const sent = yield* attempt(steps.sendRoster(ctx, { workerId: e.workerId, sessionId: m.answer.sessionId, update: workerRosterUpdate(m) }));
    if (!sent.ok) log.warn('roster not delivered to the adopting worker', { error: sent.error });
  }
}

function* grantWorker(ctx: OrchestrationContext, m: CallModel, clientContext: string, log: OrchestrationLog): Step<void> {
  if (m.answer?.outcome !== 'answered') return;
  const workerId = currentWorkerId(m) ?? m.answer.workerId;
  const res = yield* attempt(steps.setWorkerRecording(ctx, {
    workerId, sessionId: m.answer.sessionId, status: 'granted', clientContext, at: nowIso(ctx),
  }));
  if (res.ok && res.value.outcome === 'done') {
    m.recording = 'recording';
    m.lifecycle = advanceLifecycle(m.lifecycle, 'recording');
    log.info('recording confirmed by Graph and granted to the worker', { workerId });
    return;
  }
  const why = res.ok ? 'worker session is gone' : res.error;
  // Graph was told "recording" but nothing can be stored: tell users it failed.
  yield* recordingFailed(ctx, m, `worker grant failed: ${why}`, log);
}

/** Recording cannot happen: users see `failed`; the worker was never granted; fail-closed policies end the call. */
function* recordingFailed(ctx: OrchestrationContext, m: CallModel, reason: string, log: OrchestrationLog): Step<void> {
  if (m.answer?.outcome !== 'answered') return;
  m.recording = 'failed';
  m.lifecycle = advanceLifecycle(m.lifecycle, 'failed');
  m.failureReason = m.failureReason ?? reason;
  log.error('recording failed', { reason, resiliency: m.answer.policy.resiliency });
  const tenantId = m.answer.call.tenantId;
  const told = yield* attempt(steps.updateRecordingStatus(ctx, {
    tenantId, callId: m.callId, status: 'failed', clientContext: recordingClientContext(m.callId, 'failed', m.recordingAttempts),
  }));
  if (!told.ok) log.warn('could not report failed to Graph', { error: told.error });
  if (m.answer.policy.resiliency === 'failClosed' && !m.hungUp) {
    const hung = yield* attempt(steps.hangUp(ctx, { tenantId, callId: m.callId }));
    m.hungUp = true;
    if (hung.ok && hung.value.outcome === 'callGone') m.endedBy = 'hangUp: call gone';
    log.info('fail-closed policy: call ended', { ok: hung.ok });
  }
}

function* onTimers(ctx: OrchestrationContext, m: CallModel, log: OrchestrationLog): Step<void> {
  const now = nowIso(ctx);
  if (m.answer?.outcome !== 'answered') return;
  const ref = { tenantId: m.answer.call.tenantId, callId: m.callId };
  for (const work of dueWork(m, now)) {
    if (m.endedBy !== null || isEnded(m.callState)) return;
    if (work === 'establishTimeout' || work === 'watchdog') {
      m.lastProbeAt = now;
      const probe = yield* attempt(steps.getCall(ctx, ref));
      if (!probe.ok) {
        log.warn('watchdog probe failed', { error: probe.error });
        continue;
      }
      // Reconciles Graph notifications that never arrived (or were lost at a continueAsNew).
      const seen = applyProbe(m, probe.value, now, work);
      if (seen === 'gone' || seen === 'ended') {
        log.info('call is over (no terminated notification received)', { by: work, outcome: seen });
        continue;
      }
      if (seen === 'established') {
        log.info('call is established (its notification did not arrive)', { by: work });
        yield* maybeStartRecording(ctx, m, log);
      }
      if (work === 'establishTimeout' && !m.callState.everEstablished && !isEnded(m.callState)) {
        m.failureReason = `call not established within ${m.settings.establishTimeoutMs} ms`;
        m.lifecycle = advanceLifecycle(m.lifecycle, 'failed');
        const hung = yield* attempt(steps.hangUp(ctx, ref));
        m.hungUp = true;
        m.endedBy = hung.ok ? 'establish timeout: hung up' : 'establish timeout';
      }
    } else if (work === 'workerHeartbeat') {
      const pin = pinOf(m);
      if (pin && pin.lostSince === null) {
        pin.lostSince = now;
        log.error('media-worker heartbeats stopped: worker presumed lost until another worker adopts the session', { workerId: pin.workerId, lastHeartbeatAt: m.media.lastHeartbeatAt });
      }
    } else if (work === 'recordingConfirmTimeout') {
      if (confirmTimedOut(m) === 'askAgain') {
        log.warn('no outcome for updateRecordingStatus(recording) in time: asking again', { attempts: m.recordingAttempts, waitedMs: m.settings.recordingConfirmTimeoutMs });
        yield* maybeStartRecording(ctx, m, log);
      } else {
        yield* recordingFailed(ctx, m, `no outcome for updateRecordingStatus(recording) within ${m.settings.recordingConfirmTimeoutMs} ms, ${m.recordingAttempts} requests`, log);
      }
    } else {
      keepAliveDone(m, now);
      const ka = yield* attempt(steps.keepAlive(ctx, ref));
      if (ka.ok && ka.value.outcome === 'callGone') m.endedBy = 'keepAlive: call gone';
      else if (!ka.ok) log.warn('keepAlive failed', { error: ka.error });
    }
  }
}

/** End of call: seal on the worker, report notRecording after persisting stopped, write call.json + Cosmos, release. */
function* finish(ctx: OrchestrationContext, m: CallModel, log: OrchestrationLog): Step<CallLifecycleResult> {
  const a = m.answer;
  if (!a) throw new Error('finish without an answer result');
  if (m.lifecycle !== 'failed') m.lifecycle = advanceLifecycle(m.lifecycle, 'terminating');
  publish(ctx, m);

  let seal: SealResponse | null = null;
  if (a.outcome === 'answered') {
    const pin = pinOf(m);
    const workerId = pin?.workerId ?? a.workerId;
    const input = { workerId, sessionId: a.sessionId, reason: m.endedBy ?? `call ${m.callState.state}` };
    // A worker presumed lost gets a short try only (it may be back); otherwise the patient retries.
    const sealed = yield* attempt(pin?.lostSince ? steps.sealQuick(ctx, input) : steps.seal(ctx, input));
    if (sealed.ok && sealed.value.outcome === 'sealed') seal = sealed.value.seal;
    else {
      const error = sealed.ok ? 'session gone' : sealed.error;
      log.error('seal failed', { workerId, error });
      m.media.incompleteReason = pin?.lostSince
        ? `media-worker ${workerId} was lost (no heartbeat since ${m.media.lastHeartbeatAt ?? 'start'}) and no other worker adopted the session before the call ended; chunks stored before the loss are not sealed`
        : `seal failed on media-worker ${workerId}: ${error}`;
    }
    if (m.recording === 'recording') {
      const stop = yield* attempt(steps.updateRecordingStatus(ctx, {
        tenantId: a.call.tenantId, callId: m.callId, status: 'notRecording', clientContext: recordingClientContext(m.callId, 'notRecording', m.recordingAttempts),
      }));
      if (!stop.ok) log.warn('notRecording not reported', { error: stop.error });
    }
  }

  const leg = buildLeg(m, nowIso(ctx), seal);
  let persisted: { conversationId: string; callJsonBlob: string } | null = null;
  try {
    const res = yield* steps.finalize(ctx, { leg, manifestBlob: seal?.manifestBlob ?? m.media.manifestBlob });
    persisted = { conversationId: res.conversationId, callJsonBlob: res.callJsonBlob };
  } catch (err) {
    m.lifecycle = 'failed';
    m.failureReason = `finalize failed: ${(err as Error).message}`;
    publish(ctx, m);
    throw err;
  }
  if (a.outcome === 'answered') {
    // The current worker, then best effort on the workers that held the session before (they may be dead).
    const pin = pinOf(m);
    for (const workerId of [pin?.workerId ?? a.workerId, ...[...(pin?.previous ?? [])].reverse()]) {
      const released = yield* attempt(steps.releaseSession(ctx, { workerId, sessionId: a.sessionId }));
      if (!released.ok) log.warn('session not released', { workerId, error: released.error });
    }
  }
  m.lifecycle = m.lifecycle === 'failed' ? 'failed' : 'finalized';
  publish(ctx, m);
  log.info('call finalized', { lifecycle: m.lifecycle, integrity: leg.integrity, conversationId: persisted.conversationId });
  return {
    callId: m.callId,
    lifecycle: m.lifecycle,
    recordingStatus: m.recording,
    conversationId: persisted.conversationId,
    callJsonBlob: persisted.callJsonBlob,
    failureReason: m.failureReason,
  };
}
