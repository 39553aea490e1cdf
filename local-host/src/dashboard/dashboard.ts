/** Routes of the dashboard (mounted at /dashboard): the instance list, an instance page, and a JSON stats feed. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DurableEngine } from '../durable/engine.js';
import type { DurableManagement } from '../durable/management.js';
import type { HostLogger } from '../runtime/extension.js';
import { esc, layout } from './html.js';
import { renderInstance } from './instance-page.js';
import { listFilters, listQuery, renderList } from './list-page.js';

export interface DashboardDeps {
  mgmt: DurableManagement;
  engine: DurableEngine;
  hubName: string;
  baseUrl: string;
  log: HostLogger;
}

const pageLimit = 500;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': `${type}; charset=utf-8`, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

export function createDashboardHandler(deps: DashboardDeps) {
  return (req: IncomingMessage, res: ServerResponse, subPath: string): void => {
    const url = new URL(req.url ?? '/', deps.baseUrl);
    const path = (subPath.split('?')[0] ?? '').replace(/\/+$/, '');
    try {
      if (req.method !== 'GET') {
        send(res, 405, 'text/plain', 'The dashboard is read-only; actions go through /runtime/webhooks/durabletask.');
        return;
      }
      if (path === '') {
        const filters = listFilters(url);
        const rows = deps.mgmt.query(listQuery(filters, 100_000));
        const newest = rows.slice(-pageLimit).reverse();
        send(res, 200, 'text/html', renderList(deps.hubName, filters, newest, pageLimit));
        return;
      }
      if (path === '/api/stats') {
        send(res, 200, 'application/json', JSON.stringify(deps.engine.stats));
        return;
      }
      const m = /^\/instances\/([^/]+)$/.exec(path);
      if (m) {
        const id = decodeURIComponent(m[1] as string);
        const row = deps.mgmt.get(id);
        if (!row) {
          send(res, 404, 'text/html', layout('Not found', deps.hubName, `<p>No instance <code>${esc(id)}</code>.</p>`));
          return;
        }
        send(res, 200, 'text/html', renderInstance(deps.hubName, row, deps.mgmt.history(id)));
        return;
      }
      send(res, 404, 'text/html', layout('Not found', deps.hubName, `<p>No dashboard page at <code>${esc(path)}</code>.</p>`));
    } catch (err) {
      deps.log.error('dashboard error', { path, error: err instanceof Error ? err.message : String(err) });
      send(res, 500, 'text/plain', 'The dashboard failed to render this page.');
    }
  };
}
