/** One instance: its status, input/output, history timeline, and terminate / raise event / purge actions. */
import type { HistoryEvent } from '../durable/history-types.js';
import { historyForApi, parseStored, statusTime } from '../durable/http/status-payload.js';
import { isTerminal } from '../durable/history-types.js';
import type { InstanceRow } from '../durable/store.js';
import { esc, layout, pretty } from './html.js';

const script = `
const api = document.body.dataset.api;
const msg = (t) => { document.getElementById('msg').textContent = t; };
async function call(method, url, body) {
  const init = { method, headers: {} };
  if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = body; }
  const res = await fetch(url, init);
  if (res.status >= 400) { msg(method + ' ' + url + ' → ' + res.status + ' ' + (await res.text())); return false; }
  return true;
}
document.getElementById('terminate')?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const reason = new FormData(e.target).get('reason') || '';
  if (await call('POST', api + '/terminate?reason=' + encodeURIComponent(reason))) location.reload();
});
document.getElementById('raise')?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const data = f.get('data') || 'null';
  try { JSON.parse(data); } catch (err) { msg('Event data is not valid JSON: ' + err.message); return; }
  if (await call('POST', api + '/raiseEvent/' + encodeURIComponent(f.get('name')), data)) setTimeout(() => location.reload(), 300);
});
document.getElementById('purge')?.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!confirm('Purge this instance and its history?')) return;
  if (await call('DELETE', api)) location.href = '/dashboard';
});
`;

export function renderInstance(hubName: string, row: InstanceRow, history: readonly HistoryEvent[]): string {
  const api = `/runtime/webhooks/durabletask/instances/${encodeURIComponent(row.instanceId)}`;
  const fields: [string, string][] = [
    ['Instance', esc(row.instanceId)],
    ['Name', esc(row.name)],
    ['Status', `<span class="s-${esc(row.status)}">${esc(row.status)}</span>`],
    ['Created', esc(statusTime(row.createdMs))],
    ['Last updated', esc(statusTime(row.updatedMs))],
    ['Parent', row.parent ? `<a href="/dashboard/instances/${encodeURIComponent(row.parent.instanceId)}">${esc(row.parent.instanceId)}</a>` : ''],
    ['Input', `<pre>${esc(pretty(parseStored(row.input)))}</pre>`],
    ['Output', `<pre>${esc(pretty(parseStored(row.output)))}</pre>`],
    ['Custom status', `<pre>${esc(pretty(parseStored(row.customStatus)))}</pre>`],
  ];
  const events = historyForApi(history, true);
  const actions = isTerminal(row.status)
    ? ''
    : `<form id="terminate"><input name="reason" placeholder="reason"><button>Terminate</button></form>
<form id="raise"><input name="name" placeholder="event name" required><input name="data" placeholder='JSON data, e.g. {"ok":true}'><button>Raise event</button></form>`;
  const body = `
<div class="card grid">${fields.map(([k, v]) => `<b>${k}</b><div>${v}</div>`).join('')}</div>
<div class="card actions">${actions}<form id="purge"><button>Purge</button></form></div>
<div id="msg"></div>
<h3>History (${events.length} events)</h3>
<table><thead><tr><th>#</th><th>Timestamp</th><th>Event</th><th>Function / name</th><th>Details</th></tr></thead><tbody>
${events
  .map((e, i) => {
    const { EventType: type, Timestamp: ts, FunctionName: fn, Name: name, ...rest } = e;
    return `<tr><td>${i + 1}</td><td class="mono">${esc(ts)}</td><td>${esc(type)}</td><td>${esc(fn ?? name ?? '')}</td><td><pre>${esc(Object.keys(rest).length ? JSON.stringify(rest, null, 1) : '')}</pre></td></tr>`;
  })
  .join('\n')}
</tbody></table>`;
  return layout(row.instanceId, hubName, body, script).replace('<body>', `<body data-api="${esc(api)}">`);
}
