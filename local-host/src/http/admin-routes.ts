/**
 * Admin endpoints of the host (a subset of the real host's): `GET /admin/host/status` (health; anonymous here,
 * so probes need no key), `GET /admin/host/ping`, and with the master key `GET /admin/functions` and
 * `POST /admin/functions/{name}` (run a non-HTTP function now, body `{"input": ...}`, answers 202).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { authorise, presentedKey, type HostKeys } from '../config/keys.js';
import { HostError } from '../core/errors.js';
import type { FunctionInfo } from '../runtime/extension.js';
import { readBody, sendJson } from './body.js';

export interface AdminDeps {
  keys: HostKeys;
  version: string;
  startedAtMs: number;
  state(): 'Initialized' | 'Running' | 'Stopping';
  functions(): readonly FunctionInfo[];
  extensions(): readonly string[];
  /** Runs a non-HTTP function now; resolves when the invocation was accepted. */
  runFunction(fn: FunctionInfo, input: unknown): Promise<void>;
  log: { warn(message: string, fields?: Record<string, unknown>): void };
}

const runBodySchema = z.object({ input: z.unknown().optional() }).loose();

export function createAdminHandler(deps: AdminDeps) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL, subPath: string): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = subPath.replace(/\/+$/, '').toLowerCase();
    if (path === '/host/status' && (method === 'GET' || method === 'HEAD')) {
      sendJson(res, 200, {
        id: 'local-host',
        state: deps.state(),
        version: deps.version,
        processUptime: Date.now() - deps.startedAtMs,
        functions: deps.functions().length,
        extensions: deps.extensions(),
      });
      return;
    }
    if (path === '/host/ping') {
      res.statusCode = 200;
      res.end();
      return;
    }
    const key = presentedKey(req.headers['x-functions-key'], url.searchParams);
    if (!authorise('admin', key, deps.keys, [])) throw new HostError(401, 'Unauthorized: admin endpoints need the master key (x-functions-key header or code query parameter).');
    if (path === '/functions' && method === 'GET') {
      sendJson(res, 200, deps.functions().map((f) => ({ name: f.name, trigger: f.trigger.type, bindings: f.bindings })));
      return;
    }
    const run = /^\/functions\/([^/]+)$/.exec(subPath.replace(/\/+$/, ''));
    if (run && method === 'POST') {
      const name = decodeURIComponent(run[1] ?? '');
      const fn = deps.functions().find((f) => f.name.toLowerCase() === name.toLowerCase());
      if (!fn) throw new HostError(404, `Function "${name}" is not registered.`);
      if (fn.trigger.type.toLowerCase() === 'httptrigger') throw new HostError(400, `Function "${fn.name}" is HTTP-triggered; call its route instead.`);
      const raw = (await readBody(req, 1024 * 1024)).toString('utf8');
      let json: unknown = {};
      if (raw.trim() !== '') {
        try {
          json = JSON.parse(raw);
        } catch {
          throw new HostError(400, 'The body must be JSON: {"input": ...}.');
        }
      }
      const body = runBodySchema.safeParse(json);
      if (!body.success) throw new HostError(400, `The body must be {"input": ...}: ${body.error.message}`);
      await deps.runFunction(fn, body.data.input);
      res.statusCode = 202;
      res.end();
      return;
    }
    throw new HostError(404, `No admin endpoint ${method} /admin${subPath}.`);
  };
}
