/**
 * The Graph client's last middleware: sends the request over node:https (keep-alive agent, created once) instead of
 * `fetch`, and hands the SDK a buffered response. Why: on Node 20 every fetch Request/Response holds web streams
 * that survive young-generation GC (they are made transferable through weakly held C++ objects), so each Graph call
 * promoted its objects to the old generation. On the app's answer path that cost 9–20 ms scavenge pauses and
 * mark-compacts (bench:answer with `--trace-gc`). The rest of the SDK chain (auth, retry, redirect, telemetry) is the
 * SDK's own. A request this handler does not cover (a `Request` object, a non-text body) goes to `fetch` as before.
 */
import http from 'node:http';
import https from 'node:https';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/** Largest Graph response read (calls and operations are small JSON). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

interface Buffered {
  url: string;
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

/** The subset of `Response` the Graph SDK reads (status, ok, headers, text/json/arrayBuffer), from a buffered body. */
function asResponse(b: Buffered): Response {
  const r = {
    url: b.url, status: b.status, statusText: b.statusText, ok: b.status >= 200 && b.status <= 299, redirected: false,
    type: 'basic', headers: b.headers, body: null, bodyUsed: false,
    text: async () => b.text,
    json: async (): Promise<unknown> => JSON.parse(b.text),
    arrayBuffer: async () => new TextEncoder().encode(b.text).buffer,
    blob: async () => new Blob([b.text]),
    clone: () => asResponse(b),
  };
  return r as unknown as Response;
}

export class NodeHttpsMessageHandler implements Middleware {
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

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
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    context.response = asResponse(await this.send(context.request, options.method ?? 'GET', headers, body ?? undefined, options.signal ?? undefined));
  }

  private send(url: string, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<Buffered> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise<Buffered>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      let settled = false;
      const finish = (err: Error | null, value?: Buffered): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value as Buffered);
      };
      const onResponse = (res: http.IncomingMessage): void => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) parts.push(c);
          else {
            finish(new Error(`Graph response larger than ${MAX_RESPONSE_BYTES} bytes`));
            res.destroy();
          }
        });
        res.on('error', (err) => finish(err));
        res.on('aborted', () => finish(new Error('Graph response aborted')));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (typeof v === 'string') h.set(k, v);
            else if (Array.isArray(v)) for (const x of v) h.append(k, x);
          }
          finish(null, { url, status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: h, text: Buffer.concat(parts).toString('utf8') });
        });
      };
      const req = secure
        ? https.request(target, { method, headers, agent: this.httpsAgent }, onResponse)
        : http.request(target, { method, headers, agent: this.httpAgent }, onResponse);
      function onAbort(): void {
        const reason: unknown = signal?.reason;
        const err = reason instanceof Error ? reason : new Error('aborted');
        req.destroy(err);
        finish(err);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => finish(err));
      req.end(body);
    });
  }
}
