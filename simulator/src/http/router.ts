// A small route table and the one place that turns handler results and errors into HTTP responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HttpError, badRequest } from './http-error.js';
import type { Logger } from '../log.js';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  requestId: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON, strings as text/plain, undefined as no body. */
  body?: unknown;
}

export type Handler = (req: SimRequest) => Promise<SimResponse> | SimResponse;

export interface Route {
  method: string;
  /** Path pattern with `:name` segments, e.g. `/v1.0/communications/calls/:id/answer`. */
  path: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

const MAX_BODY_BYTES = 1024 * 1024;

export function compileRoutes(routes: Route[]): CompiledRoute[] {
  return routes.map((r) => {
    const names: string[] = [];
    const source = r.path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          names.push(seg.slice(1));
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return { ...r, regex: new RegExp(`^${source}/?$`, 'i'), names };
  });
}

/** Parses a JSON body with a zod schema; a body Graph would refuse becomes a 400 with the reason. */
export function parseJson<T>(req: SimRequest, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = req.rawBody.length === 0 ? {} : JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    throw badRequest('Request body is not valid JSON', 'BadRequest');
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw badRequest(`Invalid request body: ${issues}`, 'InvalidRequest');
  }
  return result.data;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'RequestEntityTooLarge', `Body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function createRequestListener(routes: Route[], log: Logger) {
  const compiled = compileRoutes(routes);
  return (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res).catch((err: unknown) => log.error('response failed', { err: String(err) }));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://local');
    let out: SimResponse;
    try {
      const method = (req.method ?? 'GET').toUpperCase();
      const matchesPath = compiled.filter((r) => r.regex.test(url.pathname));
      const route = matchesPath.find((r) => r.method === method);
      if (!route) {
        throw matchesPath.length > 0
          ? new HttpError(405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}`)
          : new HttpError(404, 'UnknownResource', `No route for ${method} ${url.pathname}`);
      }
      const m = route.regex.exec(url.pathname);
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => (params[n] = decodeURIComponent(m?.[i + 1] ?? '')));
      const rawBody = await readBody(req);
      out = await route.handler({ method, path: url.pathname, query: url.searchParams, params, headers: req.headers, rawBody, requestId });
    } catch (err) {
      out = toResponse(err, requestId);
      if (out.status >= 500) log.error('handler failed', { requestId, path: url.pathname, err: String(err) });
    }
    send(res, out, requestId);
  }
}

export function toResponse(err: unknown, requestId: string): SimResponse {
  const date = new Date().toISOString();
  if (err instanceof HttpError && err.body !== undefined) return { status: err.status, headers: err.headers, body: err.body };
  if (err instanceof HttpError) {
    return {
      status: err.status,
      headers: err.headers,
      body: { error: { code: err.code, message: err.message, innerError: { 'request-id': requestId, date } } },
    };
  }
  return { status: 500, body: { error: { code: 'InternalServerError', message: String(err), innerError: { 'request-id': requestId, date } } } };
}

function send(res: ServerResponse, out: SimResponse, requestId: string): void {
  const headers: Record<string, string> = { 'request-id': requestId, ...out.headers };
  let payload: string | undefined;
  if (typeof out.body === 'string') {
    payload = out.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (out.body !== undefined) {
    payload = JSON.stringify(out.body);
    headers['content-type'] ??= 'application/json';
  }
  res.writeHead(out.status, headers);
  res.end(payload);
}
