/**
 * `POST /api/ops/reindex` (admin key; "admin/…" routes are reserved by the Functions host): rebuilds the Cosmos
 * conversation index from Blob. The local stack calls it after
 * every start because its Cosmos server is in memory; on Azure it is the recovery tool after losing the index.
 * Body (optional): `{"prefix": "eu/<tenantId>/2026/"}`.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { reindexConversations } from '../jobs/reindex-conversations.js';
import { HttpError, toErrorResponse } from '../webhook/http-error.js';
import { depsOrUnavailable, invocationLogger } from './handler-context.js';

const BodySchema = z.object({ prefix: z.string().max(1024).optional() }).strict();

export async function postOpsReindex(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLogger(context, 'opsReindex');
  const ready = depsOrUnavailable(log);
  if ('response' in ready) return ready.response;
  try {
    const text = await request.text();
    let json: unknown = {};
    if (text.trim() !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'body is not valid JSON');
      }
    }
    const body = BodySchema.safeParse(json);
    if (!body.success) throw new HttpError(400, `bad reindex request: ${body.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    const summary = await reindexConversations(ready.deps, body.data.prefix ? { prefix: body.data.prefix } : {});
    log.info('conversation index rebuilt from Blob', { ...summary, skipped: summary.skipped.length });
    return { status: 200, jsonBody: summary };
  } catch (err) {
    if (!(err instanceof HttpError)) log.error('reindex failed', { error: err instanceof Error ? err.message : String(err) });
    return toErrorResponse(err);
  }
}
