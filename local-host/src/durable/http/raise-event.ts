/** POST instances/{id}/raiseEvent/{eventName}: 404 → 410 → content-type 400 → JSON 400 → 202 (reference §6). */
import { isTerminal } from '../history-types.js';
import type { ApiContext } from './api-context.js';
import { HttpError, parseJsonOr400, readBody, sendEmpty } from './http-io.js';

export async function raiseEvent(ctx: ApiContext): Promise<void> {
  const id = ctx.params.instanceId ?? '';
  const eventName = ctx.params.eventName ?? '';
  const body = await readBody(ctx.req);
  const row = ctx.mgmt.get(id);
  if (!row) throw new HttpError(404, 'not found', { Message: `No instance with ID '${id}' was found.` });
  if (isTerminal(row.status)) throw new HttpError(410, 'gone', { Message: `The instance '${id}' is ${row.status}; it no longer accepts events.` });
  const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new HttpError(400, 'content type', { Message: 'Only application/json request content is supported' });
  }
  const value = parseJsonOr400(body.toString('utf8'));
  await ctx.mgmt.raiseEvent(id, eventName, JSON.stringify(value));
  sendEmpty(ctx.res, 202);
}
