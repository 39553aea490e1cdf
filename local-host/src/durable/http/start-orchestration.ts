/** POST orchestrators/{functionName}[/{instanceId}] (reference §1). */
import { isTerminal } from '../history-types.js';
import { OperationError } from '../management.js';
import type { ApiContext } from './api-context.js';
import { HttpError, argumentError, parseJsonOr400, readBody, sendJson, serverError } from './http-io.js';
import { statusPayload } from './status-payload.js';
import { managementUrls } from './urls.js';

export async function startOrchestration(ctx: ApiContext): Promise<void> {
  const name = ctx.params.functionName ?? '';
  const body = await readBody(ctx.req);
  let inputJson: string | null = null;
  if (body.length > 0) inputJson = JSON.stringify(parseJsonOr400(body.toString('utf8')));
  let id: string;
  try {
    id = await ctx.mgmt.start(name, ctx.params.instanceId, inputJson);
  } catch (err) {
    if (err instanceof OperationError) throw err.status === 400 ? argumentError(err.message) : serverError(err.message);
    throw err;
  }
  const timeoutS = Number(ctx.url.searchParams.get('timeout') ?? '');
  if (Number.isFinite(timeoutS) && timeoutS > 0) {
    const pollS = Number(ctx.url.searchParams.get('pollingInterval') ?? '1');
    if (await waitForCompletion(ctx, id, timeoutS * 1000, Math.max(0.05, Number.isFinite(pollS) ? pollS : 1) * 1000)) return;
  }
  sendCheckStatus(ctx, id);
}

export function sendCheckStatus(ctx: ApiContext, id: string): void {
  const payload = managementUrls(ctx.origin, ctx.hubName, id);
  sendJson(ctx.res, 202, payload, { Location: payload.statusQueryGetUri, 'Retry-After': '10' });
}

/** Like waitForCompletionOrCreateCheckStatusResponse: true when a final answer was sent. */
async function waitForCompletion(ctx: ApiContext, id: string, timeoutMs: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = ctx.mgmt.get(id);
    if (!row) throw new HttpError(404, 'instance vanished', { Message: `No instance with ID '${id}' was found.` });
    if (isTerminal(row.status)) {
      const status = statusPayload(row, { showInput: true, showHistory: false, showHistoryOutput: false });
      if (row.status === 'Completed') sendJson(ctx.res, 200, status.output);
      else sendJson(ctx.res, row.status === 'Failed' ? 500 : 200, status);
      return true;
    }
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, left)));
  }
}
