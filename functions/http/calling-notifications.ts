/**
 * `POST /api/calling/notifications` (global webhook) and `POST /api/calling/notifications/{workerId}/{callId}`
 * (per-call callback URI). Token, then body, then: incoming calls take the answer fast path and start their
 * orchestration; every other notification is delivered to its call's orchestration (start-if-missing). 202 when done.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { durableClientFor } from '../adapters/durable-client.js';
import { CallOrchestrations } from '../adapters/orchestrations.js';
import { HttpError, toErrorResponse } from '../webhook/http-error.js';
import { depsOrUnavailable, invocationLogger } from './handler-context.js';

export async function postCallingNotifications(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const receivedAt = new Date();
  const log = invocationLogger(context, 'callingNotifications');
  const ready = depsOrUnavailable(log);
  if ('response' in ready) return ready.response;
  const { deps } = ready;
  try {
    const raw = await request.text();
    const batch = await deps.receiver.receive(request.headers.get('authorization'), raw);
    const routeCallId = request.params.callId;
    if (routeCallId && batch.notifications.some((n) => n.callId !== routeCallId)) {
      throw new HttpError(400, `notification for another call than the callback route's ${routeCallId}`);
    }
    const orchestrations = new CallOrchestrations(durableClientFor(context), deps.config.lifecycle);
    for (const n of batch.notifications) {
      const nlog = log.with({ callId: n.callId, tenantId: batch.tenantId, kind: n.kind });
      if (n.kind === 'incomingCall') {
        const { outcome, duplicate } = await deps.answers.answer(batch.tenantId, n.callId, n.call, receivedAt, nlog);
        if (duplicate) {
          nlog.info('duplicate incoming-call notification ignored');
          continue;
        }
        await orchestrations.startAnswered(n.callId, outcome);
      } else {
        const how = await orchestrations.deliver(n.callId, { type: 'graph', dedupId: n.dedupId, receivedAt: receivedAt.toISOString(), notification: n });
        if (how === 'started') nlog.info('notification started its call orchestration (arrived before the answer path)');
      }
    }
    return { status: 202 };
  } catch (err) {
    const res = toErrorResponse(err);
    if (res.status >= 500) log.error('notification handling failed', { error: (err as Error).message, stack: (err as Error).stack });
    else log.warn('notification refused', { status: res.status, reason: res.jsonBody.reason });
    return res;
  }
}
