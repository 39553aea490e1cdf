/** GET instances/{id} (status) and GET instances (list with filters and continuation tokens), reference §2 and §4. */
import { type RuntimeStatus, runtimeStatuses } from '../history-types.js';
import type { InstanceQuery } from '../store.js';
import { type ApiContext, boolQuery } from './api-context.js';
import { argumentError, sendEmpty, sendJson } from './http-io.js';
import { statusPayload } from './status-payload.js';

export function getStatus(ctx: ApiContext): void {
  const id = ctx.params.instanceId ?? '';
  const row = ctx.mgmt.get(id);
  if (!row) {
    sendEmpty(ctx.res, 404);
    return;
  }
  const opts = {
    showInput: boolQuery(ctx.url, 'showInput', true),
    showHistory: boolQuery(ctx.url, 'showHistory', false),
    showHistoryOutput: boolQuery(ctx.url, 'showHistoryOutput', false),
  };
  const body = statusPayload(row, opts, opts.showHistory ? ctx.mgmt.history(id) : undefined);
  switch (row.status) {
    case 'Running':
    case 'Pending':
    case 'ContinuedAsNew':
    case 'Suspended':
      sendJson(ctx.res, 202, body, { Location: ctx.url.href.replace(ctx.url.origin, ctx.origin), 'Retry-After': '5' });
      return;
    case 'Failed':
      sendJson(ctx.res, boolQuery(ctx.url, 'returnInternalServerErrorOnFailure', false) ? 500 : 200, body);
      return;
    default:
      sendJson(ctx.res, 200, body);
  }
}

/** The filters shared by list and purge-by-filter. */
export function instanceFilter(url: URL): InstanceQuery {
  const q: InstanceQuery = {};
  const statuses = url.searchParams.get('runtimeStatus');
  if (statuses) {
    const wanted = statuses.split(',').map((s) => s.trim().toLowerCase());
    q.statuses = runtimeStatuses.filter((s) => wanted.includes(s.toLowerCase())) as RuntimeStatus[];
    if (q.statuses.length === 0) q.statuses = ['__none__' as RuntimeStatus];
  }
  const from = url.searchParams.get('createdTimeFrom');
  if (from) q.createdFromMs = parseTime(from, 'createdTimeFrom');
  const to = url.searchParams.get('createdTimeTo');
  if (to) q.createdToMs = parseTime(to, 'createdTimeTo');
  const prefix = url.searchParams.get('instanceIdPrefix');
  if (prefix) q.instanceIdPrefix = prefix;
  const name = url.searchParams.get('name');
  if (name) q.namePrefix = name;
  return q;
}

export function parseTime(text: string, param: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw argumentError(`'${param}' is not a valid date-time: ${text}`);
  return ms;
}

const defaultPageSize = 100;

export function listInstances(ctx: ApiContext): void {
  const q = instanceFilter(ctx.url);
  const topText = ctx.url.searchParams.get('top');
  let top = defaultPageSize;
  if (topText !== null && topText !== '') {
    top = Number(topText);
    if (!Number.isInteger(top) || top <= 0) throw argumentError(`'top' must be a positive integer: ${topText}`);
  }
  const token = ctx.req.headers['x-ms-continuation-token'];
  if (typeof token === 'string' && token !== '' && token !== 'null') q.after = decodeToken(token);
  q.limit = top + 1;
  const rows = ctx.mgmt.query(q);
  const page = rows.slice(0, top);
  const last = page[page.length - 1];
  const next = rows.length > top && last ? encodeToken(last.createdMs, last.instanceId) : '';
  const showInput = boolQuery(ctx.url, 'showInput', true);
  const body = page.map((r) => statusPayload(r, { showInput, showHistory: false, showHistoryOutput: false }));
  sendJson(ctx.res, 200, body, { 'x-ms-continuation-token': next });
}

function encodeToken(createdMs: number, instanceId: string): string {
  return Buffer.from(JSON.stringify({ c: createdMs, i: instanceId })).toString('base64url');
}

function decodeToken(token: string): { createdMs: number; instanceId: string } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { c?: unknown; i?: unknown };
    if (typeof v.c === 'number' && typeof v.i === 'string') return { createdMs: v.c, instanceId: v.i };
  } catch {
    // fall through to the error below
  }
  throw argumentError('Invalid x-ms-continuation-token header.');
}
