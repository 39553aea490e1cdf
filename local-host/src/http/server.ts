/**
 * The host's HTTP listener: admin endpoints, extension mounts (e.g. /runtime/webhooks/durabletask), then the app's
 * functions under /{routePrefix}/. Errors map to responses in one place (sendError).
 */
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpMountHandler } from '../runtime/extension.js';
import { HostError } from '../core/errors.js';
import type { JsonLogger } from '../core/log.js';
import { sendJson } from './body.js';
import { type FunctionHttpDeps, serveFunction } from './function-http-handler.js';
import { lookupRoute, type RouteTable } from './http-routes.js';
import { splitPath } from './route-template.js';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, url: URL, subPath: string) => Promise<void>;

export interface HttpHostOptions {
  routePrefix: string;
  isDevelopment: boolean;
  log: JsonLogger;
  functions: FunctionHttpDeps;
  admin: AdminHandler;
}

interface Mount {
  prefix: string;
  handler: HttpMountHandler;
}

export class HttpHost {
  readonly #options: HttpHostOptions;
  readonly #server: Server;
  readonly #mounts: Mount[] = [];
  #routes: RouteTable = { routes: [], problems: [] };
  #baseUrl = '';
  #stopping = false;
  #draining = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;

  constructor(options: HttpHostOptions) {
    this.#options = options;
    this.#server = http.createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.#server.keepAliveTimeout = 5_000;
    this.#server.requestTimeout = 0;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  setRoutes(table: RouteTable): void {
    this.#routes = table;
  }

  mountHttp(prefix: string, handler: HttpMountHandler): void {
    const normalized = '/' + prefix.replace(/^\/+|\/+$/g, '');
    if (normalized === '/') throw new Error('mountHttp: the prefix must not be empty');
    if (this.#mounts.some((m) => m.prefix.toLowerCase() === normalized.toLowerCase())) throw new Error(`mountHttp: "${normalized}" is already mounted`);
    this.#mounts.push({ prefix: normalized, handler });
    this.#mounts.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    this.#baseUrl = `http://${host}:${address.port}`;
    return this.#baseUrl;
  }

  /**
   * Stops taking new function requests (503) while extension mounts keep answering, so that an in-flight function
   * can still call e.g. the Durable webhooks; resolves when in-flight function requests finished or after `graceMs`.
   */
  /** App function requests being served now (extension mounts and admin routes are not counted). */
  get inFlight(): number {
    return this.#inFlight;
  }

  async drain(graceMs = 5_000): Promise<void> {
    this.#draining = true;
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      timer.unref();
      this.#idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops accepting requests, lets in-flight requests finish for up to `graceMs`, then drops connections. */
  async close(graceMs = 5_000): Promise<void> {
    this.#stopping = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const timer = setTimeout(() => this.#server.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    } catch {
      sendJson(res, 400, { error: 'Bad request URL' });
      return;
    }
    try {
      if (this.#stopping) res.setHeader('connection', 'close');
      await this.#dispatch(req, res, url);
    } catch (err) {
      this.#sendError(req, res, url, err);
    }
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const lower = path.toLowerCase();
    if (lower === '/admin' || lower.startsWith('/admin/')) {
      await this.#options.admin(req, res, url, path.slice('/admin'.length));
      return;
    }
    for (const mount of this.#mounts) {
      const p = mount.prefix.toLowerCase();
      if (lower === p || lower.startsWith(p + '/')) {
        await mount.handler(req, res, path.slice(mount.prefix.length));
        return;
      }
    }
    const prefix = this.#options.routePrefix;
    let rest: string | undefined;
    if (prefix === '') rest = path;
    else if (lower === `/${prefix.toLowerCase()}` || lower.startsWith(`/${prefix.toLowerCase()}/`)) rest = path.slice(prefix.length + 1);
    if (rest === undefined) throw new HostError(404, `No route matches ${path}.`);
    const segments = splitPath(rest);
    if (!segments) throw new HostError(400, `The path ${path} is not valid percent-encoding.`);
    const method = (req.method ?? 'GET').toUpperCase();
    const found = lookupRoute(this.#routes, method, segments);
    if (found.kind === 'none') throw new HostError(404, `No function matches ${path}.`);
    if (found.kind === 'method-not-allowed') {
      throw new HostError(405, `Method ${method} is not allowed for ${path}; allowed: ${found.allowed.join(', ')}.`, { allow: found.allowed.join(', ') });
    }
    if (this.#draining) throw new HostError(503, 'The host is stopping.', { connection: 'close' });
    this.#inFlight++;
    try {
      await serveFunction(this.#options.functions, found.route, found.params, req, res, url);
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#idle?.();
    }
  }

  #sendError(req: IncomingMessage, res: ServerResponse, url: URL, err: unknown): void {
    const log = this.#options.log;
    if (res.headersSent) {
      log.error('request failed after the response started', { method: req.method, path: url.pathname, error: err });
      res.destroy();
      return;
    }
    if (!req.complete) req.resume();
    if (err instanceof HostError) {
      if (err.status >= 500) log.error('request failed', { method: req.method, path: url.pathname, status: err.status, error: err });
      sendJson(res, err.status, { error: err.message }, err.headers);
      return;
    }
    log.error('function failed', { method: req.method, path: url.pathname, status: 500, error: err });
    const body: Record<string, unknown> = { error: 'Internal Server Error' };
    if (this.#options.isDevelopment && err instanceof Error) {
      body.message = err.message;
      body.stack = err.stack;
    }
    sendJson(res, 500, body);
  }
}
