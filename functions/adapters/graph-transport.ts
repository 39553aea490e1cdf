/**
 * The Graph client's last middleware: sends the request with HttpTextClient (node:https, keep-alive) instead of
 * `fetch`, and hands the SDK a buffered response. Why: on Node 20 every fetch Request/Response holds web streams
 * that survive young-generation GC (they are made transferable through weakly held C++ objects), so each Graph call
 * promoted its objects to the old generation. On the app's answer path that cost 9–20 ms scavenge pauses and
 * mark-compacts (bench:answer with `--trace-gc`). The rest of the SDK chain (auth, retry, redirect, telemetry) is the
 * SDK's own. A request this handler does not cover (a `Request` object, a non-text body) goes to `fetch` as before.
 */
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { HttpTextClient, type TextResponse } from './http-text.js';

/** Largest Graph response read (calls and operations are small JSON). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The subset of `Response` the Graph SDK reads (status, ok, headers, text/json/arrayBuffer), from a buffered body. */
function asResponse(url: string, r: TextResponse): Response {
  const headers = new Headers();
  for (const [k, v] of Object.entries(r.headers)) {
    if (typeof v === 'string') headers.set(k, v);
    else if (Array.isArray(v)) for (const x of v) headers.append(k, x);
  }
  const build = (): Response => {
    const res = {
      url, status: r.status, statusText: r.statusText, ok: r.status >= 200 && r.status <= 299, redirected: false,
      type: 'basic', headers, body: null, bodyUsed: false,
      text: async () => r.text,
      json: async (): Promise<unknown> => JSON.parse(r.text),
      arrayBuffer: async () => new TextEncoder().encode(r.text).buffer,
      blob: async () => new Blob([r.text]),
      clone: build,
    };
    return res as unknown as Response;
  };
  return build();
}

export class NodeHttpsMessageHandler implements Middleware {
  constructor(private readonly http: HttpTextClient = new HttpTextClient()) {}

  async execute(context: Context): Promise<void> {
    const options = context.options ?? {};
    const body = options.body;
    if (typeof context.request !== 'string' || (body !== undefined && body !== null && typeof body !== 'string')) {
      context.response = await fetch(context.request, options as RequestInit);
      return;
    }
    const headers: Record<string, string> = {};
    new Headers(options.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, key) => {
      headers[key] = value;
    });
    const res = await this.http.request(context.request, {
      method: options.method ?? 'GET',
      headers,
      ...(typeof body === 'string' ? { body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    context.response = asResponse(context.request, res);
  }
}
