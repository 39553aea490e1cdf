/** POST instances/{id}/{terminate|suspend|resume|rewind|restart} and DELETE (purge), reference §5 and §7. */
import { OperationError } from '../management.js';
import type { ApiContext } from './api-context.js';
import { HttpError, argumentError, sendEmpty, sendJson } from './http-io.js';
import { instanceFilter, parseTime } from './get-instances.js';
import { sendCheckStatus } from './start-orchestration.js';

function toHttp(err: unknown): unknown {
  if (err instanceof OperationError) {
    if (err.status === 400) return argumentError(err.message);
    return new HttpError(err.status, err.message, { Message: err.message });
  }
  return err;
}

export async function instanceOperation(ctx: ApiContext): Promise<void> {
  const id = ctx.params.instanceId ?? '';
  const op = (ctx.params.operation ?? '').toLowerCase();
  const reason = ctx.url.searchParams.get('reason') ?? '';
  try {
    switch (op) {
      case 'terminate':
        ctx.mgmt.terminate(id, reason);
        break;
      case 'suspend':
        ctx.mgmt.suspend(id, reason);
        break;
      case 'resume':
        ctx.mgmt.resume(id, reason);
        break;
      case 'restart': {
        const newId = await ctx.mgmt.restart(id, (ctx.url.searchParams.get('restartWithNewInstanceId') ?? 'true').toLowerCase() !== 'false');
        sendCheckStatus(ctx, newId);
        return;
      }
      case 'rewind':
        ctx.mgmt.rewind(id, reason);
        break;
      default:
        throw new HttpError(404, 'unknown operation', { Message: `Unknown instance operation '${ctx.params.operation ?? ''}'.` });
    }
  } catch (err) {
    throw toHttp(err);
  }
  sendEmpty(ctx.res, 202);
}

export function purgeInstance(ctx: ApiContext): void {
  const id = ctx.params.instanceId ?? '';
  if (!ctx.mgmt.purge(id)) {
    sendEmpty(ctx.res, 404);
    return;
  }
  sendJson(ctx.res, 200, { instancesDeleted: 1 });
}

export function purgeInstances(ctx: ApiContext): void {
  const from = ctx.url.searchParams.get('createdTimeFrom');
  if (!from) throw argumentError("Please provide value for 'createdTimeFrom' parameter.");
  const q = instanceFilter(ctx.url);
  q.createdFromMs = parseTime(from, 'createdTimeFrom');
  if (q.createdToMs === undefined) q.createdToMs = ctx.nowMs();
  const n = ctx.mgmt.purgeBy(q);
  if (n === 0) {
    sendEmpty(ctx.res, 404);
    return;
  }
  sendJson(ctx.res, 200, { instancesDeleted: n });
}
