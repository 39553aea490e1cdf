import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DurableManagement } from '../management.js';

export interface ApiContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Parsed request URL (path and query). */
  url: URL;
  /** Origin the generated URLs use (the request's own origin). */
  origin: string;
  hubName: string;
  mgmt: DurableManagement;
  /** Decoded route parameters. */
  params: Readonly<Record<string, string>>;
  nowMs(): number;
}

export type ApiHandler = (ctx: ApiContext) => Promise<void> | void;

export function boolQuery(url: URL, name: string, dflt: boolean): boolean {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return dflt;
  return v.toLowerCase() === 'true';
}
