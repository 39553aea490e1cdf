// A tiny recorder for tests: receives notifications, verifies their JWT with jose against the simulator's JWKS,
// records them, and lets the test decide how to react (answer, fail with 500, ...).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose';
import { caFetch } from './https-client.js';
import { BOT_APP_ID, TENANT } from './sim-harness.js';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: { value: { changeType: string; resourceUrl: string; resourceData: Record<string, unknown> | Record<string, unknown>[] }[] } & Record<string, unknown>;
  authOk: boolean;
  authError?: string;
  status: number;
  at: number;
}

export interface RecorderOptions {
  jwksUrl: string;
  ca: string;
  /** Answer the first N deliveries with 500. */
  failFirst?: number;
  /** Called (after the response was sent) for each verified incoming-call notification. */
  onIncoming?: (legId: string, r: Received) => void;
}

export interface TestRecorder {
  url: string;
  received: Received[];
  /** Change notifications (callRecords subscriptions) received on /records. */
  records: unknown[];
  /** Notifications whose resourceUrl is the call, with their state. */
  states(legId: string): string[];
  close(): Promise<void>;
}

export async function startRecorder(o: RecorderOptions): Promise<TestRecorder> {
  const jwks = createRemoteJWKSet(new URL(o.jwksUrl), { [customFetch]: caFetch(o.ca) });
  let failLeft = o.failFirst ?? 0;
  const received: Received[] = [];
  const records: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/records') {
      // Graph subscription validation: echo validationToken as text/plain (unless the test asks not to).
      const token = url.searchParams.get('validationToken');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (token !== null) {
          res.writeHead(url.searchParams.has('noecho') ? 404 : 200, { 'content-type': 'text/plain' });
          res.end(url.searchParams.has('noecho') ? '' : token);
          return;
        }
        records.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
        res.writeHead(202);
        res.end();
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const r: Received = { path: req.url ?? '', headers: req.headers, body: { value: [] }, authOk: false, status: 0, at: Date.now() };
        try {
          r.body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'];
        } catch {
          r.status = 400;
        }
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        try {
          if (!token) throw new Error('no bearer token');
          const { payload } = await jwtVerify(token, jwks, { algorithms: ['RS256'], audience: BOT_APP_ID, issuer: ['https://api.botframework.com', 'https://graph.microsoft.com'] });
          if (payload.tid !== TENANT) throw new Error('wrong tid');
          r.authOk = true;
        } catch (err) {
          r.authError = err instanceof Error ? err.message : String(err);
        }
        if (r.status === 0) r.status = !r.authOk ? 401 : failLeft > 0 ? 500 : 202;
        if (r.status === 500) failLeft--;
        received.push(r);
        res.writeHead(r.status, { connection: 'close' });
        res.end();
        const n = r.body.value?.[0];
        if (r.status === 202 && n && n.changeType.toLowerCase() === 'created' && !Array.isArray(n.resourceData)) {
          o.onIncoming?.(String(n.resourceData.id), r);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    records,
    states: (legId) =>
      received
        .filter((r) => r.authOk)
        .flatMap((r) => r.body.value)
        .filter((n) => n.resourceUrl === `/communications/calls/${legId}` && !Array.isArray(n.resourceData))
        .map((n) => String((n.resourceData as Record<string, unknown>).state)),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
