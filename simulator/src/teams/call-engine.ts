// Plays Teams for the recorder: invites per recorded user, the 5 s answer deadline, leg state machine, policy
// resiliency, keepAlive watchdog, roster changes, call end. Graph handlers and the control API call into it.
import { randomUUID } from 'node:crypto';
import type { Conversation, Leg, LegState, ResultInfo, SimParticipant } from './model.js';
import type { Scenario, ScenarioEvent } from './scenario.js';
import type { SimClock, ClockTimer } from './clock.js';
import type { MediaHooks, MediaSummary } from './media-hooks.js';
import { decideDrop, decideSetup, invitesPerUser } from './policy.js';
import { newUserView, setCall, setRecording } from './user-view.js';
import { RESULT } from './result-codes.js';
import { buildParticipants } from './participants.js';
import type { Notifier } from '../notify/delivery.js';
import { mergeFaults, type Faults } from '../notify/faults.js';
import * as payload from '../notify/payloads.js';
import type { Logger } from '../log.js';
import { HttpError, notFound, badRequest } from '../http/http-error.js';

/** Real-time answer deadline for policy-based recording invites (reference §3). */
export const ANSWER_DEADLINE_MS = 5000;
/** keepAlive period after which Teams ends an inactive call (simulated time, reference §6). */
export const KEEPALIVE_TIMEOUT_MS = 45 * 60_000;

export interface EngineDeps {
  clock: SimClock;
  notifier: Notifier;
  media: MediaHooks;
  log: Logger;
  tenantId: string;
  recorderNotificationUrl?: string;
  globalFaults: () => Faults;
  writeGroundTruth: (c: Conversation, leg: Leg, media: MediaSummary | undefined) => Promise<string>;
  onConversationEnded?: (c: Conversation) => void;
  answerDeadlineMs?: number;
  /** Ended conversations are forgotten after this long (real ms; default 1 h) so long load runs stay bounded. */
  retainEndedMs?: number;
}

export interface StartOptions {
  notificationUrl?: string;
}

export class CallEngine {
  readonly conversations = new Map<string, Conversation>();
  private readonly legs = new Map<string, Leg>();
  private readonly timers = new Map<string, ClockTimer[]>();
  private readonly keepAliveTimers = new Map<string, ClockTimer>();
  private readonly casingCounters = new Map<string, payload.Casing>();

  constructor(private readonly d: EngineDeps) {}

  getLeg(id: string): Leg | undefined {
    return this.legs.get(id);
  }

  conversationOf(leg: Leg): Conversation {
    const c = this.conversations.get(leg.conversationId);
    if (!c) throw new Error(`leg ${leg.id} has no conversation`);
    return c;
  }

  faultsFor(c: Conversation): Faults {
    return mergeFaults(this.d.globalFaults(), c.scenario.faults);
  }

  /** Starts a scenario call: participants, invites for recorded users present at start, scheduled events, end. */
  start(scenario: Scenario, options: StartOptions = {}): Conversation {
    const id = randomUUID();
    const c: Conversation = {
      id,
      callChainId: id,
      tenantId: this.d.tenantId,
      scenario: options.notificationUrl ? { ...scenario, notificationUrl: options.notificationUrl } : scenario,
      participants: buildParticipants(scenario, this.d.tenantId),
      legs: [],
      users: new Map(),
      timeline: [],
      deliveries: [],
      startedAt: new Date().toISOString(),
      startedSimMs: this.d.clock.now(),
      state: 'inviting',
      groundTruthFiles: {},
    };
    this.conversations.set(id, c);
    const log = this.d.log.child({ conversationId: id, scenario: scenario.name });
    log.info('conversation started');
    for (const p of c.participants) {
      p.inCall = !p.absent && p.joinAtMs === 0;
      if (p.recorded) c.users.set(p.key, newUserView(p.key, p.participantId));
    }
    this.event(c, 'started', { kind: scenario.kind, direction: scenario.direction });
    const initial = c.participants.filter((p) => p.recorded && p.inCall);
    for (const p of initial) this.inviteUser(c, p);
    if (initial.length === 0) this.activate(c);
    return c;
  }

  /** The call is up once the initial invites settled: scenario times (events, durationMs) count from here. */
  private activate(c: Conversation): void {
    if (c.state !== 'inviting') return;
    c.state = 'active';
    this.event(c, 'active');
    const s = c.scenario;
    for (const ev of s.events) this.schedule(c, ev.atMs, () => this.applyEvent(c, ev));
    for (const p of c.participants) {
      if (!p.absent && p.joinAtMs > 0) this.schedule(c, p.joinAtMs, () => this.applyEvent(c, { atMs: p.joinAtMs, type: 'join', participant: p.key }));
      if (p.leaveAtMs !== undefined) this.schedule(c, p.leaveAtMs, () => this.applyEvent(c, { atMs: p.leaveAtMs ?? 0, type: 'leave', participant: p.key }));
    }
    this.schedule(c, s.durationMs, () => void this.endConversation(c, s.endResult ?? defaultEnd(c), 'scenario duration reached'));
  }

  // ---- invites and the answer deadline -------------------------------------------------------------

  private inviteUser(c: Conversation, recorded: SimParticipant, transferor?: SimParticipant): void {
    const count = invitesPerUser(c.scenario.policy);
    const created: Leg[] = [];
    for (let i = 1; i <= count; i++) created.push(this.newLeg(c, recorded, i as 1 | 2, transferor));
    for (let i = 0; i < c.scenario.extraLegs; i++) created.push(this.newLeg(c, recorded, 0, transferor));
    for (const leg of created) {
      const paired = c.scenario.policy.pairedApplication ? created.find((l) => l !== leg && l.invitation !== 0) : undefined;
      this.sendIncoming(c, leg, recorded, transferor, paired);
    }
  }

  private newLeg(c: Conversation, recorded: SimParticipant, invitation: 0 | 1 | 2, transferor?: SimParticipant): Leg {
    const leg: Leg = {
      id: randomUUID(),
      conversationId: c.id,
      recordedKey: recorded.key,
      invitation,
      appInstanceId: invitation === 2 && c.scenario.policy.pairedApplication ? 'e5f6a7b8-0000-4000-8000-0000000000bc' : 'e5f6a7b8-0000-4000-8000-0000000000bb',
      myParticipantId: randomUUID(),
      state: 'incoming',
      createdAtMs: Date.now(),
      lastKeepAliveSim: this.d.clock.now(),
      operations: [],
      ...(transferor ? { transferorKey: transferor.key } : {}),
    };
    c.legs.push(leg);
    this.legs.set(leg.id, leg);
    return leg;
  }

  private otherSide(c: Conversation, recorded: SimParticipant): SimParticipant | undefined {
    if (c.scenario.kind !== 'p2p') return undefined;
    return c.participants.find((p) => p.key !== recorded.key && p.inCall);
  }

  private sendIncoming(c: Conversation, leg: Leg, recorded: SimParticipant, transferor?: SimParticipant, pairedLeg?: Leg): void {
    const faults = this.faultsFor(c);
    const onBehalfOf = c.scenario.onBehalfOf ? this.participant(c, c.scenario.onBehalfOf) : undefined;
    const body = payload.incomingCall({ conversation: c, leg, recorded, otherSide: this.otherSide(c, recorded), transferor, onBehalfOf, pairedLeg, casing: this.casing(c) });
    const url = c.scenario.notificationUrl ?? this.d.recorderNotificationUrl;
    this.event(c, 'invite', { legId: leg.id, recorded: recorded.key, invitation: leg.invitation, transferor: transferor?.key });
    const deadlineMs = this.d.answerDeadlineMs ?? ANSWER_DEADLINE_MS;
    let armed = false;
    const arm = (): void => {
      if (armed) return;
      armed = true;
      leg.inviteSentAt = Date.now();
      setTimeout(() => this.onDeadline(leg), deadlineMs).unref();
    };
    if (!url) {
      this.d.log.warn('no notification url: invite cannot be delivered', { legId: leg.id });
      arm();
      return;
    }
    this.deliver(c, leg, url, 'incoming', body, faults, arm);
  }

  private onDeadline(leg: Leg): void {
    if (leg.state !== 'incoming') return;
    const c = this.conversationOf(leg);
    leg.outcome = 'timeout';
    this.event(c, 'answerDeadlineMissed', { legId: leg.id });
    leg.state = 'terminated';
    leg.resultInfo = RESULT.notAcknowledged;
    this.settleUser(c, leg.recordedKey);
    void this.finishLeg(c, leg);
  }

  answer(legId: string, callbackUri: string, mediaConfigBlob: string | undefined): void {
    const leg = this.requireLeg(legId);
    const c = this.conversationOf(leg);
    if (leg.state === 'terminated' || leg.outcome === 'timeout') throw notFound(`Call ${legId} not found.`, '8519');
    if (leg.state !== 'incoming') throw badRequest(`Call ${legId} is in state ${leg.state}; only an incoming call can be answered.`, '8504');
    leg.answerLatencyMs = Date.now() - (leg.inviteSentAt ?? leg.createdAtMs);
    leg.outcome = 'answered';
    leg.callbackUri = callbackUri;
    leg.mediaConfigBlob = mediaConfigBlob;
    leg.lastKeepAliveSim = this.d.clock.now();
    this.event(c, 'answered', { legId, latencyMs: leg.answerLatencyMs });
    this.transition(c, leg, 'establishing');
    const faults = this.faultsFor(c);
    this.deliver(c, leg, callbackUri, 'establishing', payload.stateUpdate(c, leg, 'establishing', this.casing(c)), faults);
    this.armKeepAlive(c, leg);
    this.settleUser(c, leg.recordedKey);
    setTimeout(() => this.establish(c, leg), 100).unref();
    if (leg.invitation === 0) setTimeout(() => void this.endLeg(c, leg, RESULT.allOthersLeft, 'short-lived leg'), 1500).unref();
  }

  reject(legId: string, reason: string): void {
    const leg = this.requireLeg(legId);
    const c = this.conversationOf(leg);
    if (leg.state !== 'incoming') throw badRequest(`Call ${legId} is in state ${leg.state}; only an incoming call can be rejected.`, '8504');
    leg.outcome = 'rejected';
    leg.state = 'terminated';
    leg.resultInfo = RESULT.rejected;
    this.event(c, 'rejected', { legId, reason });
    this.settleUser(c, leg.recordedKey);
    void this.finishLeg(c, leg);
  }

  private establish(c: Conversation, leg: Leg): void {
    if (leg.state !== 'establishing') return;
    this.transition(c, leg, 'established');
    const faults = this.faultsFor(c);
    const url = leg.callbackUri ?? '';
    this.deliver(c, leg, url, 'established', payload.stateUpdate(c, leg, 'established', this.casing(c)), faults);
    this.deliver(c, leg, url, 'roster', payload.roster(leg, c.participants, this.casing(c)), faults);
    if (faults.repeatEstablished) {
      const more = { mediaState: { '@odata.type': '#microsoft.graph.callMediaState', audio: 'active' }, activeModalities: ['audio'], meetingCapability: { allowAnonymousUsersToStartMeeting: false } };
      this.deliver(c, leg, url, 'established', payload.stateUpdate(c, leg, 'established', this.casing(c), more), faults);
    }
    if (c.scenario.media.enabled && leg.invitation !== 0) {
      this.d.media.start(c, leg, (reason) => void this.endLeg(c, leg, RESULT.mediaFailure, `media lost: ${reason}`));
    }
  }

  /** Once every counted invite of a user has an outcome, apply the policy's "required before" rule. */
  private settleUser(c: Conversation, key: string): void {
    const legs = c.legs.filter((l) => l.recordedKey === key);
    const decision = decideSetup(c.scenario.policy, c.scenario.kind, legs);
    if (decision === 'waiting') return;
    const view = c.users.get(key);
    if (!view || view.call !== 'pending') return;
    if (decision === 'connected') setCall(c, key, 'connected');
    else if (decision === 'connectedUnrecorded') setCall(c, key, 'connected', 'recorder unavailable; policy is fail-open');
    else {
      setCall(c, key, 'blocked', 'recorder did not join; policy requires it before the call');
      this.event(c, 'userBlocked', { user: key });
      if (c.scenario.kind === 'meeting') this.participantLeaves(c, key);
      else void this.endConversation(c, RESULT.blockedByPolicy, `call of ${key} blocked by policy`);
    }
    if (c.state === 'inviting' && [...c.users.values()].every((u) => u.call !== 'pending' || !this.participant(c, u.key)?.inCall)) this.activate(c);
  }

  // ---- Graph API operations on a leg ---------------------------------------------------------------

  updateRecordingStatus(legId: string, status: 'notRecording' | 'recording' | 'failed', clientContext: string): { id: string; status: string } {
    const leg = this.requireLeg(legId);
    const c = this.conversationOf(leg);
    if (leg.state === 'terminated' || leg.state === 'terminating') throw notFound(`Call ${legId} not found.`, '8519');
    if (leg.state === 'incoming') throw badRequest('The call has not been answered.', '8504');
    const faults = this.faultsFor(c);
    if (faults.refuseStatusUpdate) {
      this.event(c, 'recordingStatusRefused', { legId, status });
      throw new HttpError(403, '8506', 'API call not allowed for non-Compliance Recording call');
    }
    const op = { id: randomUUID(), clientContext, status: faults.asyncOperations ? 'running' : 'completed', type: 'updateRecordingStatus' };
    leg.operations.push(op);
    const apply = (): void => {
      leg.recordingStatus = status;
      setRecording(c, leg.recordedKey, status, legId);
      this.event(c, 'recordingStatus', { legId, status, user: leg.recordedKey });
    };
    if (!faults.asyncOperations) {
      apply();
      return op;
    }
    const lost = leg.operations.length <= (faults.loseOperationOutcomes ?? 0);
    setTimeout(() => {
      op.status = 'completed';
      apply();
      if (lost) {
        this.event(c, 'operationOutcomeLost', { legId, operationId: op.id, clientContext });
        return;
      }
      const url = leg.callbackUri ?? '';
      this.deliver(c, leg, url, 'operation', payload.operationNotification(leg, op, 'updated', this.casing(c)), faults);
      this.deliver(c, leg, url, 'operation', payload.operationNotification(leg, op, 'deleted', this.casing(c)), faults);
    }, 100).unref();
    return { ...op };
  }

  keepAlive(legId: string): void {
    const leg = this.requireLeg(legId);
    if (leg.state === 'terminated' || leg.state === 'terminating') throw notFound(`Call ${legId} not found.`, '8519');
    const c = this.conversationOf(leg);
    leg.lastKeepAliveSim = this.d.clock.now();
    this.armKeepAlive(c, leg);
    this.event(c, 'keepAlive', { legId });
  }

  hangUp(legId: string): void {
    const leg = this.requireLeg(legId);
    if (leg.state === 'terminated') throw notFound(`Call ${legId} not found.`, '8519');
    void this.endLeg(this.conversationOf(leg), leg, RESULT.endedByBot, 'bot hung up');
  }

  private armKeepAlive(c: Conversation, leg: Leg): void {
    this.keepAliveTimers.get(leg.id)?.cancel();
    const t = this.d.clock.setTimer(KEEPALIVE_TIMEOUT_MS, () => {
      if (leg.state === 'terminated' || leg.state === 'terminating') return;
      this.event(c, 'keepAliveTimeout', { legId: leg.id });
      void this.endLeg(c, leg, RESULT.keepAliveTimeout, 'no keepAlive for 45 minutes');
    });
    this.keepAliveTimers.set(leg.id, t);
  }

  // ---- scenario events ----------------------------------------------------------------------------

  private applyEvent(c: Conversation, ev: ScenarioEvent): void {
    if (c.state === 'ended') return;
    const p = ev.participant ? c.participants.find((x) => x.key === ev.participant) : undefined;
    this.event(c, ev.type, { participant: ev.participant, to: ev.to });
    switch (ev.type) {
      case 'join':
        if (!p || p.inCall) return;
        p.inCall = true;
        this.rosterToAll(c);
        if (p.recorded) this.inviteUser(c, p);
        return;
      case 'leave':
        if (p) this.participantLeaves(c, p.key);
        return;
      case 'hold':
      case 'resume':
        if (!p) return;
        p.onHold = ev.type === 'hold';
        this.rosterToAll(c);
        return;
      case 'transfer': {
        const to = ev.to ? c.participants.find((x) => x.key === ev.to) : undefined;
        if (!p || !to) return;
        to.inCall = true;
        for (const leg of this.liveLegs(c, p.key)) void this.endLeg(c, leg, RESULT.transferCompleted, 'transfer completed', true);
        p.inCall = false;
        setCall(c, p.key, 'ended', 'transferred');
        if (to.recorded) {
          c.users.set(to.key, c.users.get(to.key) ?? newUserView(to.key, to.participantId));
          this.inviteUser(c, to, p);
        }
        this.rosterToAll(c);
        return;
      }
      case 'dropMedia':
        for (const leg of c.legs.filter((l) => l.state === 'established' && (!p || l.recordedKey === p.key))) this.d.media.drop(leg.id);
        return;
      case 'end':
        void this.endConversation(c, c.scenario.endResult ?? defaultEnd(c), 'end event');
        return;
    }
  }

  private participantLeaves(c: Conversation, key: string): void {
    const p = c.participants.find((x) => x.key === key);
    if (!p) return;
    p.inCall = false;
    for (const leg of this.liveLegs(c, key)) void this.endLeg(c, leg, RESULT.allOthersLeft, `${key} left`, true);
    setCall(c, key, 'ended', 'left');
    const remaining = c.participants.filter((x) => x.inCall);
    if (c.scenario.kind === 'p2p' || remaining.length < 2) {
      void this.endConversation(c, c.scenario.kind === 'p2p' ? RESULT.endedByOther : RESULT.allOthersLeft, `${key} left`);
      return;
    }
    this.rosterToAll(c);
  }

  private rosterToAll(c: Conversation): void {
    const faults = this.faultsFor(c);
    for (const leg of c.legs.filter((l) => l.state === 'established')) {
      this.deliver(c, leg, leg.callbackUri ?? '', 'roster', payload.roster(leg, c.participants, this.casing(c)), faults);
    }
  }

  // ---- ending ----------------------------------------------------------------------------------------

  private liveLegs(c: Conversation, key?: string): Leg[] {
    return c.legs.filter((l) => l.state !== 'terminated' && l.state !== 'terminating' && (key === undefined || l.recordedKey === key));
  }

  /** Ends one recorder leg: terminating, then terminated as `deleted`; applies "required during call". */
  async endLeg(c: Conversation, leg: Leg, result: ResultInfo, reason: string, userLeaving = false): Promise<void> {
    if (leg.state === 'terminated' || leg.state === 'terminating') return;
    const wasIncoming = leg.state === 'incoming';
    if (wasIncoming) leg.outcome ??= 'unanswered';
    leg.resultInfo = result;
    this.event(c, 'legEnding', { legId: leg.id, reason, code: result.code, subcode: result.subcode });
    if (!wasIncoming) this.transition(c, leg, 'terminating');
    const faults = this.faultsFor(c);
    if (leg.callbackUri) this.deliver(c, leg, leg.callbackUri, 'terminating', payload.stateUpdate(c, leg, 'terminating', this.casing(c)), faults);
    leg.state = 'terminated';
    if (!userLeaving && c.state !== 'ended' && leg.invitation !== 0 && !wasIncoming) this.onRecorderDropped(c, leg);
    await this.finishLeg(c, leg);
  }

  private onRecorderDropped(c: Conversation, leg: Leg): void {
    const decision = decideDrop(c.scenario.policy, c.scenario.kind, c.legs.filter((l) => l.recordedKey === leg.recordedKey));
    this.event(c, 'recorderDropped', { legId: leg.id, user: leg.recordedKey, decision });
    if (decision !== 'eject') return;
    setCall(c, leg.recordedKey, 'ejected', 'recorder left; policy requires it during the call');
    if (c.scenario.kind === 'meeting') this.participantLeaves(c, leg.recordedKey);
    else void this.endConversation(c, RESULT.conversationEnded, `${leg.recordedKey} ejected by policy`);
  }

  /** After a leg is terminated: the deleted notification, media stop, ground truth. */
  private async finishLeg(c: Conversation, leg: Leg): Promise<void> {
    this.keepAliveTimers.get(leg.id)?.cancel();
    this.keepAliveTimers.delete(leg.id);
    const faults = this.faultsFor(c);
    const url = leg.callbackUri ?? c.scenario.notificationUrl ?? this.d.recorderNotificationUrl;
    if (url) this.deliver(c, leg, url, 'terminated', payload.terminated(c, leg, leg.resultInfo ?? RESULT.conversationEnded, this.casing(c), faults.resultCodesAs), faults);
    this.event(c, 'legTerminated', { legId: leg.id, code: leg.resultInfo?.code, subcode: leg.resultInfo?.subcode });
    const media = await this.d.media.stop(leg.id);
    try {
      c.groundTruthFiles[leg.id] = await this.d.writeGroundTruth(c, leg, media);
    } catch (err) {
      this.d.log.error('ground truth write failed', { legId: leg.id, err: String(err) });
    }
  }

  async endConversation(c: Conversation, result: ResultInfo, reason: string): Promise<void> {
    if (c.state === 'ended') return;
    c.state = 'ended';
    c.endedAt = new Date().toISOString();
    c.endedSimMs = this.d.clock.now();
    this.event(c, 'conversationEnded', { reason, code: result.code, subcode: result.subcode });
    for (const t of this.timers.get(c.id) ?? []) t.cancel();
    this.timers.delete(c.id);
    for (const [key, v] of c.users) if (v.call === 'connected' || v.call === 'pending') setCall(c, key, 'ended', reason);
    await Promise.all(this.liveLegs(c).map((leg) => this.endLeg(c, leg, result, reason, true)));
    this.d.onConversationEnded?.(c);
    setTimeout(() => {
      this.conversations.delete(c.id);
      this.casingCounters.delete(c.id);
      for (const leg of c.legs) this.legs.delete(leg.id);
    }, this.d.retainEndedMs ?? 3600_000).unref();
  }

  /** Ends everything (server shutdown). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.conversations.values()].map((c) => this.endConversation(c, RESULT.conversationEnded, 'simulator shutting down')));
  }

  // ---- plumbing --------------------------------------------------------------------------------------

  private transition(c: Conversation, leg: Leg, to: LegState): void {
    const order: LegState[] = ['incoming', 'establishing', 'established', 'terminating', 'terminated'];
    if (order.indexOf(to) <= order.indexOf(leg.state)) throw new Error(`illegal transition ${leg.state} → ${to}`);
    leg.state = to;
    this.event(c, 'legState', { legId: leg.id, state: to });
  }

  private participant(c: Conversation, key: string): SimParticipant | undefined {
    return c.participants.find((p) => p.key === key);
  }

  private requireLeg(id: string): Leg {
    const leg = this.legs.get(id);
    if (!leg) throw notFound(`Call ${id} not found.`, '8519');
    return leg;
  }

  private deliver(c: Conversation, leg: Leg, url: string, kind: string, body: Record<string, unknown>, faults: Faults, onFirstAttempt?: () => void): void {
    if (!url) return;
    this.d.notifier.send({
      legId: leg.id,
      chainId: c.callChainId,
      url,
      body,
      kind,
      faults,
      onFirstAttempt,
      onDone: (r) => {
        c.deliveries.push({ seq: c.deliveries.length + 1, legId: leg.id, url, kind, attempts: r.attempts, status: r.status, ...(r.duplicate ? { duplicate: true } : {}), at: new Date().toISOString() });
        if (kind === 'incoming' && !r.duplicate) this.event(c, 'inviteDelivered', { legId: leg.id, status: r.status, attempts: r.attempts });
      },
    });
  }

  private schedule(c: Conversation, simDelayMs: number, fn: () => void): void {
    const list = this.timers.get(c.id) ?? [];
    list.push(this.d.clock.setTimer(simDelayMs, fn));
    this.timers.set(c.id, list);
  }

  private casing(c: Conversation): payload.Casing {
    let k = this.casingCounters.get(c.id);
    if (!k) {
      k = { mode: this.faultsFor(c).enumCasing ?? 'camel', counter: 0 };
      this.casingCounters.set(c.id, k);
    }
    return k;
  }

  private event(c: Conversation, type: string, detail?: Record<string, unknown>): void {
    c.timeline.push({ at: new Date().toISOString(), simAt: new Date(this.d.clock.now()).toISOString(), type, ...(detail ? { detail } : {}) });
  }
}

export function defaultEnd(c: Conversation): ResultInfo {
  if (c.scenario.kind !== 'p2p') return RESULT.allOthersLeft;
  return c.participants.some((p) => p.kind === 'pstn') ? RESULT.pstnEnded : RESULT.endedByOther;
}
