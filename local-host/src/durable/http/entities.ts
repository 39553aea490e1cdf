/** entities/{name}/{key}: signal (POST, DELETE = "delete"), read state (GET), list (GET entities[/{name}]), reference §8. */
import { entityIdOf, parseEntityId } from '../entities.js';
import type { ApiContext } from './api-context.js';
import { HttpError, argumentError, readBody, sendEmpty, sendJson } from './http-io.js';
import { parseStored, statusTime } from './status-payload.js';

/** The key `$` stands for the empty key. */
function entityKey(ctx: ApiContext): string {
  const key = ctx.params.entityKey ?? '';
  return key === '$' ? '' : key;
}

export async function signalEntity(ctx: ApiContext): Promise<void> {
  const name = ctx.params.entityName ?? '';
  const op = ctx.req.method === 'DELETE' ? 'delete' : ctx.url.searchParams.get('op');
  if (!op) throw argumentError("Please provide value for the 'op' query parameter.");
  const body = (await readBody(ctx.req)).toString('utf8');
  let inputJson: string | undefined;
  if (body.length > 0) {
    const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType === 'application/json') {
      try {
        inputJson = JSON.stringify(JSON.parse(body));
      } catch (err) {
        const msg = `Could not parse JSON content: ${err instanceof Error ? err.message : String(err)}`;
        throw new HttpError(400, msg, { Message: msg });
      }
    } else {
      inputJson = JSON.stringify(body);
    }
  }
  ctx.mgmt.signalEntity(entityIdOf(name, entityKey(ctx)), op, inputJson);
  sendEmpty(ctx.res, 202);
}

export function getEntity(ctx: ApiContext): void {
  const row = ctx.mgmt.getEntity(entityIdOf(ctx.params.entityName ?? '', entityKey(ctx)));
  if (!row) {
    sendEmpty(ctx.res, 404);
    return;
  }
  sendJson(ctx.res, 200, parseStored(row.state));
}

export function listEntities(ctx: ApiContext): void {
  const fetchState = (ctx.url.searchParams.get('fetchState') ?? 'false').toLowerCase() === 'true';
  const name = ctx.params.entityName;
  const rows = ctx.mgmt.listEntities(name).filter((r) => !name || parseEntityId(r.entityId).name === name.toLowerCase());
  sendJson(
    ctx.res,
    200,
    rows.map((r) => {
      const { name: n, key } = parseEntityId(r.entityId);
      return { entityId: { key, name: n }, lastOperationTime: statusTime(r.lastOpMs), state: fetchState ? parseStored(r.state) : null };
    }),
    { 'x-ms-continuation-token': '' },
  );
}
