/**
 * The answer fast path (inside the webhook, no orchestration in the way; Graph allows 5 s for policy calls):
 * resolve the policy, reserve a media-worker session, answer with the worker's media config and the per-call
 * callback URI. On failure: release the session, reject the call, and report the failure (the orchestration records it).
 */
import { performance } from 'node:perf_hooks';
import type { Call } from '../../contracts/graph/index.js';
import { GraphCallError, type GraphCallsClient } from '../adapters/graph.js';
import type { WorkerClient } from '../adapters/worker.js';
import type { WorkerRegistry } from '../adapters/worker-registry.js';
import { summarizeIncomingCall } from '../domain/incoming-call.js';
import { resolvePolicy, type PolicyFile } from '../domain/policy.js';
import type { AnswerOutcome } from '../domain/signals.js';
import type { Logger } from '../log.js';

export interface AnswerServiceDeps {
  graph: GraphCallsClient;
  workers: WorkerClient;
  registry: WorkerRegistry;
  policies: PolicyFile;
  callbackBaseUrl: string;
  /** How many workers to try before giving up. */
  maxWorkerAttempts?: number;
}

const RECENT_LIMIT = 10_000;

export interface AnswerResult {
  outcome: AnswerOutcome;
  /** Already handled (by this process, or by another delivery that owns the call): start nothing. */
  duplicate: boolean;
}

export class AnswerService {
  /** Call ids answered by this process recently: a redelivered incoming-call notification is not answered twice. */
  private readonly recent = new Map<string, Promise<AnswerResult>>();

  constructor(private readonly deps: AnswerServiceDeps) {}

  callbackUriFor(workerId: string, callId: string): string {
    return `${this.deps.callbackBaseUrl}/calling/notifications/${encodeURIComponent(workerId)}/${encodeURIComponent(callId)}`;
  }

  /**
   * Returns `duplicate: true` when this call id was already handled: by this process (remembered), or by another one
   * (the worker's reserve said the session already existed and Graph refused our answer: the other delivery answered).
   */
  async answer(tenantId: string, callId: string, call: Call, receivedAt: Date, log: Logger): Promise<AnswerResult> {
    const previous = this.recent.get(callId);
    if (previous) return { outcome: (await previous).outcome, duplicate: true };
    const work = this.answerOnce(tenantId, callId, call, receivedAt, log);
    this.recent.set(callId, work);
    if (this.recent.size > RECENT_LIMIT) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    return work;
  }

  private async answerOnce(tenantId: string, callId: string, call: Call, receivedAt: Date, log: Logger): Promise<AnswerResult> {
    const outcome = await this.answerFirst(tenantId, callId, call, receivedAt, log);
    return 'duplicate' in outcome ? outcome : { outcome, duplicate: false };
  }

  private async answerFirst(tenantId: string, callId: string, call: Call, receivedAt: Date, log: Logger): Promise<AnswerOutcome | AnswerResult> {
    const summary = summarizeIncomingCall(callId, tenantId, call);
    const policy = resolvePolicy(this.deps.policies, tenantId, summary.recordedUser.userId);
    const base = { call: summary, policy, receivedAt: receivedAt.toISOString() };
    const clog = log.with({ callId, callChainId: summary.callChainId, tenantId });

    if (!policy.record) {
      await this.rejectQuietly(tenantId, callId, 'none', clog);
      clog.info('call declined by policy', { policySource: policy.source });
      return { ...base, outcome: 'declined', reason: `policy ${policy.source} does not record`, workerId: null, sessionId: null };
    }

    const t0 = performance.now();
    let reserved: { workerId: string; sessionId: string; blob: string; created: boolean } | null = null;
    const errors: string[] = [];
    const candidates = this.deps.registry.ranked().slice(0, this.deps.maxWorkerAttempts ?? 2);
    for (const w of candidates) {
      try {
        const res = await this.deps.workers.reserve(w.workerId, {
          callId,
          callChainId: summary.callChainId ?? callId,
          tenantId,
          region: policy.region.toLowerCase(),
          ...(summary.recordedUser.userId ? { recordedUserId: summary.recordedUser.userId } : {}),
          policyId: policy.source,
        });
        reserved = { workerId: w.workerId, sessionId: res.sessionId, blob: res.mediaConfig.blob, created: res.created };
        this.deps.registry.noteReserved(w.workerId);
        break;
      } catch (err) {
        this.deps.registry.markUnhealthy(w.workerId);
        errors.push(`${w.workerId}: ${(err as Error).message}`);
        clog.warn('worker reserve failed', { workerId: w.workerId, error: (err as Error).message });
      }
    }
    if (!reserved) {
      await this.rejectQuietly(tenantId, callId, 'busy', clog);
      const reason = `no media worker could reserve a session: ${errors.join(' | ') || 'no workers configured'}`;
      clog.error('answer failed', { reason });
      return { ...base, outcome: 'failed', reason, workerId: null, sessionId: null };
    }

    const t1 = performance.now();
    try {
      await this.deps.graph.answer(tenantId, callId, {
        callbackUri: this.callbackUriFor(reserved.workerId, callId),
        acceptedModalities: ['audio'],
        mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: reserved.blob },
      });
    } catch (err) {
      if (!reserved.created && err instanceof GraphCallError && !err.transient) {
        // The session was reserved by an earlier delivery of this invite (another instance of this app, since this
        // process did not remember it) and Graph refuses a second answer: that delivery answered. Neither reject the
        // call nor release the shared session, and do not start anything: the first delivery owns the call.
        clog.warn('Graph refused the answer of a redelivered invite whose session already existed: handled elsewhere', {
          workerId: reserved.workerId, status: err.status, code: err.code,
        });
        return { outcome: { ...base, outcome: 'failed', reason: 'redelivered invite handled by another instance', workerId: reserved.workerId, sessionId: reserved.sessionId }, duplicate: true };
      }
      const reason = `Graph answer failed: ${(err as Error).message}`;
      clog.error('answer failed', { reason, workerId: reserved.workerId });
      // Release only a session this request created: a redelivered incoming call (another instance) shares it.
      if (reserved.created) await this.deps.workers.release(reserved.workerId, reserved.sessionId).catch(() => undefined);
      await this.rejectQuietly(tenantId, callId, 'busy', clog);
      return { ...base, outcome: 'failed', reason, workerId: reserved.workerId, sessionId: reserved.sessionId };
    }
    const answeredAt = new Date();
    const answerLatencyMs = answeredAt.getTime() - receivedAt.getTime();
    const t2 = performance.now();
    clog.info('call answered', {
      workerId: reserved.workerId, sessionId: reserved.sessionId, answerLatencyMs, policySource: policy.source,
      reserveMs: Math.round(t1 - t0), graphAnswerMs: Math.round(t2 - t1),
    });
    return { ...base, outcome: 'answered', workerId: reserved.workerId, sessionId: reserved.sessionId, answeredAt: answeredAt.toISOString(), answerLatencyMs };
  }

  private async rejectQuietly(tenantId: string, callId: string, reason: 'none' | 'busy', log: Logger): Promise<void> {
    try {
      await this.deps.graph.reject(tenantId, callId, { reason });
    } catch (err) {
      log.warn('reject failed', { error: (err as Error).message });
    }
  }
}
