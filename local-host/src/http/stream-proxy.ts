/**
 * HTTP streaming (app.setup({ enableHttpStream: true })): the library serves an HTTP proxy (capability HttpUri)
 * and, as with the real host, we forward the raw request to it with `x-ms-invocation-id`, `x-forwarded-host` and
 * `x-forwarded-proto`, run the invocation, and stream the proxy's response back to the client.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { InvocationRequest, InvocationResult } from '../runtime/extension.js';
import type { RpcHttpTrigger } from './rpc-http.js';

const agent = new http.Agent({ keepAlive: true });
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'x-ms-invocation-id']);

export interface StreamProxyOptions {
  proxyUri: string;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  trigger: RpcHttpTrigger;
  invoke(request: InvocationRequest, invocationId: string): Promise<InvocationResult>;
  /** How long to wait for the proxy's answer after the invocation finished before answering 204. */
  lateResponseGraceMs?: number;
}

export async function proxyStreamInvocation(o: StreamProxyOptions): Promise<void> {
  const invocationId = randomUUID();
  const target = new URL(o.url.pathname + o.url.search, o.proxyUri);
  const headers: http.OutgoingHttpHeaders = { ...o.req.headers };
  headers.host = target.host;
  headers['x-ms-invocation-id'] = invocationId;
  headers['x-forwarded-host'] = o.url.host;
  headers['x-forwarded-proto'] = o.url.protocol.replace(/:$/, '');
  const proxyReq = http.request(target, { method: o.req.method ?? 'GET', headers, agent });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    proxyReq.once('response', resolve);
    proxyReq.once('error', reject);
  });
  response.catch(() => undefined);
  const method = (o.req.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') {
    o.req.resume();
    proxyReq.end();
  } else {
    o.req.pipe(proxyReq);
  }

  const invocation = o.invoke({ triggerData: o.trigger.triggerData, triggerMetadata: o.trigger.triggerMetadata }, invocationId);
  invocation.catch(() => undefined);
  const first = await Promise.race([
    response.then((r) => ({ kind: 'response' as const, r })),
    invocation.then(
      () => ({ kind: 'done' as const }),
      (err: unknown) => ({ kind: 'failed' as const, err }),
    ),
  ]);
  if (first.kind === 'failed') {
    proxyReq.destroy();
    throw first.err;
  }
  let proxyRes: IncomingMessage | undefined;
  if (first.kind === 'response') {
    proxyRes = first.r;
  } else {
    proxyRes = await Promise.race([response, delay(o.lateResponseGraceMs ?? 2000)]);
  }
  if (!proxyRes) {
    proxyReq.destroy();
    o.res.statusCode = 204;
    o.res.end();
    return;
  }
  o.res.statusCode = proxyRes.statusCode ?? 200;
  for (const [name, value] of Object.entries(proxyRes.headers)) {
    if (value !== undefined && !hopByHop.has(name)) o.res.setHeader(name, value);
  }
  const streamed = pipeTo(proxyRes, o.res);
  try {
    await invocation;
  } catch (err) {
    // The handler failed after it began answering: the client sees a truncated response.
    o.res.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  await streamed;
}

function pipeTo(from: IncomingMessage, to: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    from.pipe(to);
    from.once('end', () => resolve());
    from.once('error', () => {
      to.destroy();
      resolve();
    });
    to.once('close', () => resolve());
  });
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
