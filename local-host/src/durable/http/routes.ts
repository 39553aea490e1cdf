/**
 * Every route of the Durable webhooks in one table (relative to /runtime/webhooks/durabletask), and the one place
 * that maps errors to responses. The same handler serves the durableClient's rpcBaseUrl.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostLogger } from '../../runtime/extension.js';
import type { DurableManagement } from '../management.js';
import type { ApiContext, ApiHandler } from './api-context.js';
import { getStatus, listInstances } from './get-instances.js';
import { HttpError, sendError } from './http-io.js';
import { instanceOperation, purgeInstance, purgeInstances } from './instance-operations.js';
import { getEntity, listEntities, signalEntity } from './entities.js';
import { raiseEvent } from './raise-event.js';
import { startOrchestration } from './start-orchestration.js';

interface Route {
  method: string;
  /** Segments; `:name` captures one segment, `:name?` an optional last one. */
  pattern: string[];
  handler: ApiHandler;
}

const route = (method: string, path: string, handler: ApiHandler): Route => ({ method, pattern: path.split('/').filter(Boolean), handler });

export const routes: readonly Route[] = [
  route('POST', 'orchestrators/:functionName/:instanceId?', startOrchestration),
  route('GET', 'instances', listInstances),
  route('DELETE', 'instances', purgeInstances),
  route('GET', 'instances/:instanceId', getStatus),
  route('DELETE', 'instances/:instanceId', purgeInstance),
  route('POST', 'instances/:instanceId/raiseEvent/:eventName', raiseEvent),
  route('POST', 'instances/:instanceId/:operation', instanceOperation),
  route('POST', 'entities/:entityName/:entityKey', signalEntity),
  route('DELETE', 'entities/:entityName/:entityKey', signalEntity),
  route('GET', 'entities/:entityName/:entityKey', getEntity),
  route('GET', 'entities/:entityName?', listEntities),
];

function match(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const required = pattern.filter((p) => !p.endsWith('?')).length;
  if (segments.length < required || segments.length > pattern.length) return undefined;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i];
    if (s === undefined) return p.endsWith('?') ? params : undefined;
    if (p.startsWith(':')) params[p.replace(/^:|\?$/g, '')] = s;
    else if (p.toLowerCase() !== s.toLowerCase()) return undefined;
  }
  return params;
}

export interface WebhookDeps {
  mgmt: DurableManagement;
  hubName: string;
  baseUrl: string;
  log: HostLogger;
  nowMs(): number;
}

export function createWebhookHandler(deps: WebhookDeps) {
  return async (req: IncomingMessage, res: ServerResponse, subPath: string): Promise<void> => {
    const url = new URL(req.url ?? '/', deps.baseUrl);
    const origin = req.headers.host ? `http://${req.headers.host}` : deps.baseUrl;
    const path = subPath.split('?')[0] ?? '';
    try {
      let segments: string[];
      try {
        segments = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
      } catch {
        throw new HttpError(400, 'bad path', { Message: 'The request path is not valid URL encoding.' });
      }
      for (const r of routes) {
        if (r.method !== (req.method ?? 'GET').toUpperCase()) continue;
        const params = match(r.pattern, segments);
        if (!params) continue;
        const ctx: ApiContext = { req, res, url, origin, hubName: deps.hubName, mgmt: deps.mgmt, params, nowMs: deps.nowMs };
        await r.handler(ctx);
        return;
      }
      throw new HttpError(404, 'no route', { Message: `No Durable Task API route matches ${req.method ?? ''} ${path || '/'}.` });
    } catch (err) {
      if (err instanceof HttpError) {
        sendError(res, err);
        return;
      }
      deps.log.error('durable webhook error', { method: req.method, path, error: err instanceof Error ? err.message : String(err) });
      sendError(res, new HttpError(500, 'internal', { Message: 'Something went wrong while processing your request', ExceptionMessage: err instanceof Error ? err.message : String(err) }));
    }
  };
}
