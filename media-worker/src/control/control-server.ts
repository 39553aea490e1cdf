// HTTP control API: routing, `x-worker-key` check, JSON bodies, and the one place errors become responses.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { WORKER_KEY_HEADER } from '../../../contracts/worker-api/index.js';
import type { Logger } from '../log.js';
import type { HandlerContext } from './handlers.js';
import { HttpError } from './http-error.js';
import { routes } from './routes.js';

const MAX_BODY_BYTES = 1024 * 1024;

function keyMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'payloadTooLarge', `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'badJson', 'body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function createControlServer(ctx: HandlerContext, sharedKey: string, log: Logger): Server {
  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      try {
        const candidates = routes.filter((r) => r.pattern.test(url.pathname));
        if (candidates.length === 0) throw new HttpError(404, 'notFound', `no route ${url.pathname}`);
        const route = candidates.find((r) => r.method === req.method);
        if (!route) throw new HttpError(405, 'methodNotAllowed', `${req.method} not allowed on ${url.pathname}`);
        if (route.auth && !keyMatches(req.headers[WORKER_KEY_HEADER], sharedKey)) throw new HttpError(401, 'unauthorized', `missing or wrong ${WORKER_KEY_HEADER}`);
        const params = { ...(route.pattern.exec(url.pathname)?.groups ?? {}) };
        const body = req.method === 'POST' ? await readJson(req) : undefined;
        const result = await route.handler(ctx, params, body);
        send(res, result.status, result.body);
      } catch (err) {
        if (err instanceof HttpError) {
          send(res, err.status, { error: err.error, reason: err.reason });
        } else if (err instanceof ZodError) {
          send(res, 400, { error: 'badRequest', reason: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
        } else {
          log.error('control request failed', { method: req.method, path: url.pathname, error: String(err) });
          send(res, 500, { error: 'internal', reason: 'internal error' });
        }
      }
    })();
  });
}
