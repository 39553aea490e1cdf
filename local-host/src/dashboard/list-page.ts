/** The instance list: status, name, created, last updated, custom status; filters by status, name and created time. */
import { runtimeStatuses } from '../durable/history-types.js';
import { statusTime, parseStored } from '../durable/http/status-payload.js';
import type { InstanceQuery, InstanceRow } from '../durable/store.js';
import { esc, layout, pretty } from './html.js';

export interface ListFilters {
  status: string;
  name: string;
  from: string;
  to: string;
}

export function listFilters(url: URL): ListFilters {
  const g = (k: string): string => url.searchParams.get(k) ?? '';
  return { status: g('status'), name: g('name'), from: g('from'), to: g('to') };
}

export function listQuery(f: ListFilters, limit: number): InstanceQuery {
  const q: InstanceQuery = { limit };
  const status = runtimeStatuses.find((s) => s === f.status);
  if (status) q.statuses = [status];
  if (f.name) q.namePrefix = f.name;
  const from = parseUtc(f.from);
  if (from !== undefined) q.createdFromMs = from;
  const to = parseUtc(f.to);
  if (to !== undefined) q.createdToMs = to;
  return q;
}

/** `datetime-local` values carry no zone; the dashboard shows UTC, so they are read as UTC. */
function parseUtc(text: string): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

const refreshScript = `
const box = document.getElementById('auto');
box.checked = localStorage.getItem('durable-dashboard-auto') === '1';
box.addEventListener('change', () => localStorage.setItem('durable-dashboard-auto', box.checked ? '1' : '0'));
setInterval(() => { if (box.checked) location.reload(); }, 2000);
`;

export function renderList(hubName: string, f: ListFilters, rows: readonly InstanceRow[], limit: number): string {
  const options = ['', ...runtimeStatuses]
    .map((s) => `<option value="${esc(s)}"${s === f.status ? ' selected' : ''}>${s || 'any status'}</option>`)
    .join('');
  const body = `
<form class="filters" method="get" action="/dashboard">
  <label>Status<select name="status">${options}</select></label>
  <label>Name starts with<input name="name" value="${esc(f.name)}"></label>
  <label>Created from<input name="from" type="datetime-local" step="1" value="${esc(f.from)}"></label>
  <label>Created to<input name="to" type="datetime-local" step="1" value="${esc(f.to)}"></label>
  <button type="submit">Filter</button> <a href="/dashboard">reset</a>
  <label><span><input type="checkbox" id="auto"> refresh every 2 s</span></label>
</form>
<p>${rows.length}${rows.length >= limit ? '+' : ''} instance(s), newest first (times UTC).</p>
<table><thead><tr><th>Instance</th><th>Name</th><th>Status</th><th>Created</th><th>Last updated</th><th>Custom status</th></tr></thead><tbody>
${rows
  .map(
    (r) => `<tr><td class="mono"><a href="/dashboard/instances/${encodeURIComponent(r.instanceId)}">${esc(r.instanceId)}</a></td>
<td>${esc(r.name)}</td><td class="s-${esc(r.status)}">${esc(r.status)}</td><td>${esc(statusTime(r.createdMs))}</td>
<td>${esc(statusTime(r.updatedMs))}</td><td><pre>${esc(pretty(parseStored(r.customStatus)))}</pre></td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
  return layout('Instances', hubName, body, refreshScript);
}
