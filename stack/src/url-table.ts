import type { RunningStack } from './stack.js';

export interface UrlRow {
  readonly what: string;
  readonly url: string;
}

/** The rows `npm start` prints: what a developer opens or points a client at. */
export function urlRows(stack: RunningStack): UrlRow[] {
  const u = stack.urls;
  const rows: UrlRow[] = [];
  if (u.dashboard) rows.push({ what: 'dashboard', url: u.dashboard });
  if (u.durableApi) rows.push({ what: 'durable API', url: u.durableApi });
  if (u.host) rows.push({ what: 'functions (webhook)', url: stack.appSettings.CALLBACK_BASE_URL ? `${stack.appSettings.CALLBACK_BASE_URL}/calling/notifications` : u.host });
  if (u.simulator) rows.push({ what: 'simulator (Graph, login)', url: u.simulator });
  if (u.mediaWorkers) for (const [id, url] of Object.entries(u.mediaWorkers)) rows.push({ what: `media-worker ${id}`, url });
  else if (u.mediaWorker) rows.push({ what: 'media-worker', url: u.mediaWorker });
  rows.push({ what: 'azurite blob', url: u.azurite });
  rows.push({ what: 'cosmos', url: u.cosmos });
  for (const n of stack.notices) rows.push({ what: n.name, url: `(${n.kind}: ${n.reason.split('\n')[0]})` });
  return rows;
}

export function formatTable(rows: readonly UrlRow[]): string {
  const width = Math.max(...rows.map((r) => r.what.length), 4);
  return rows.map((r) => `  ${r.what.padEnd(width)}  ${r.url}`).join('\n');
}
