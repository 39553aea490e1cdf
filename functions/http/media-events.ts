/** `POST /api/media-events` (header `x-worker-key`): media-worker events raised to the call's orchestration. */
import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { MediaEventSchema, WORKER_KEY_HEADER } from '../../contracts/worker-api/index.js';
import { durableClientFor } from '../adapters/durable-client.js';
import { CallOrchestrations } from '../adapters/orchestrations.js';
import { HttpError, toErrorResponse } from '../webhook/http-error.js';
import { depsOrUnavailable, invocationLogger } from './handler-context.js';

function keyMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function postMediaEvent(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLogger(context, 'mediaEvents');
  const ready = depsOrUnavailable(log);
  if ('response' in ready) return ready.response;
  const { deps } = ready;
  try {
    if (!keyMatches(request.headers.get(WORKER_KEY_HEADER), deps.config.workerSharedKey)) throw new HttpError(401, `missing or wrong ${WORKER_KEY_HEADER}`);
    let json: unknown;
    try {
      json = JSON.parse(await request.text());
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    const parsed = MediaEventSchema.safeParse(json);
    if (!parsed.success) {
      throw new HttpError(400, `not a media event: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    const event = parsed.data;
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/.test(event.callId)) throw new HttpError(400, 'callId has characters not allowed in an instance id');
    if (!deps.workers.hasWorker(event.workerId)) throw new HttpError(403, `worker ${event.workerId} is not in MEDIA_WORKER_URLS`);
    await new CallOrchestrations(durableClientFor(context), deps.config.lifecycle).deliver(event.callId, {
      type: 'media', dedupId: `media:${event.workerId}:${event.eventId}`, event,
    });
    log.info('media event delivered', { callId: event.callId, type: event.type, workerId: event.workerId });
    return { status: 202 };
  } catch (err) {
    const res = toErrorResponse(err);
    if (res.status >= 500) log.error('media event failed', { error: (err as Error).message });
    else log.warn('media event refused', { status: res.status, reason: res.jsonBody.reason });
    return res;
  }
}
