// The Graph calling adapter through the SDK's middleware chain and the node:https transport, against a real local
// HTTPS server playing Graph (the test stack's certificate, trusted through NODE_EXTRA_CA_CERTS): method, path, bearer token and body arrive; JSON answers are parsed; Graph errors keep
// their status and code; a request that gets no answer fails after the timeout as transient.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphCallError, GraphCallsClient } from '../../functions/adapters/graph.js';
import { stackEnv } from '../helpers/stack-env.js';

interface Seen { method: string; url: string; auth: string; body: string }
const seen: Seen[] = [];
let server: Server;
let graph: GraphCallsClient;

beforeAll(async () => {
  const env = stackEnv();
  server = createServer({ cert: readFileSync(env.certFile), key: readFileSync(env.keyFile) }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization ?? '', body: Buffer.concat(parts).toString() });
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.url?.endsWith('/answer')) res.writeHead(202).end();
      else if (req.url === '/v1.0/communications/calls/live') json(200, { id: 'live', state: 'established' });
      else if (req.url === '/v1.0/communications/calls/gone') json(404, { error: { code: '8519', message: 'Call gone not found.' } });
      else if (req.url?.endsWith('/updateRecordingStatus')) json(200, { '@odata.type': '#microsoft.graph.updateRecordingStatusOperation', id: 'op-1', status: 'completed', clientContext: 'recording:1:c1' });
      // '/v1.0/communications/calls/hang': no answer
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`;
  graph = new GraphCallsClient({
    botAppId: 'app', botAppSecret: 'secret', graphBaseUrl: base, authorityHost: base, requestTimeoutMs: 500,
    credentialFor: () => ({ getToken: async () => ({ token: 'tok-1', expiresOnTimestamp: Date.now() + 3600_000 }) }),
  });
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('GraphCallsClient over the node transport', () => {
  it('sends the answer with the bearer token and the JSON body', async () => {
    await graph.answer('t1', 'c1', { callbackUri: 'https://cb/x', acceptedModalities: ['audio'], mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: 'b' } });
    const s = seen.find((x) => x.url === '/v1.0/communications/calls/c1/answer');
    expect(s).toMatchObject({ method: 'POST', auth: 'Bearer tok-1' });
    expect(JSON.parse(s?.body ?? '{}')).toMatchObject({ callbackUri: 'https://cb/x', acceptedModalities: ['audio'] });
  });

  it('parses a call and an operation', async () => {
    expect(await graph.getCall('t1', 'live')).toMatchObject({ id: 'live', state: 'established' });
    expect(await graph.updateRecordingStatus('t1', 'c1', { clientContext: 'recording:1:c1', status: 'recording' })).toMatchObject({ id: 'op-1', status: 'completed' });
  });

  it('keeps the status and code of a Graph error', async () => {
    const err = await graph.getCall('t1', 'gone').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphCallError);
    expect(err).toMatchObject({ status: 404, code: '8519' });
    expect((err as GraphCallError).callGone).toBe(true);
  });

  it('fails a request without an answer after the timeout, as transient', async () => {
    const err = await graph.getCall('t1', 'hang').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphCallError);
    expect((err as GraphCallError).status).toBe(0);
    expect((err as GraphCallError).transient).toBe(true);
  });
});
