// The control-API HTTP client (node:http, keep-alive): answers with any status, times out, refuses oversized bodies,
// reports a refused connection. Against real local servers on port 0.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTextClient } from '../../functions/adapters/http-text.js';

let server: Server;
let base: string;
const client = new HttpTextClient();

beforeAll(async () => {
  server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      if (req.url === '/echo') res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, key: req.headers['x-key'], body: Buffer.concat(body).toString() }));
      else if (req.url === '/missing') res.writeHead(404).end('no such session');
      else if (req.url === '/huge') res.end(Buffer.alloc(5 * 1024 * 1024, 97));
      // '/hang': never answers
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  client.close();
  server.closeAllConnections();
  server.close();
});

describe('HttpTextClient', () => {
  it('sends method, headers and body; returns status and text', async () => {
    const res = await client.request(`${base}/echo`, { method: 'POST', headers: { 'x-key': 'k1' }, body: '{"a":1}', timeoutMs: 5000 });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)).toEqual({ method: 'POST', key: 'k1', body: '{"a":1}' });
  });

  it('returns error statuses as they are', async () => {
    expect(await client.request(`${base}/missing`, { method: 'GET', headers: {}, timeoutMs: 5000 })).toMatchObject({ status: 404, text: 'no such session' });
  });

  it('fails after the timeout when the server does not answer', async () => {
    await expect(client.request(`${base}/hang`, { method: 'GET', headers: {}, timeoutMs: 300 })).rejects.toThrow(/timed out after 300 ms/);
  });

  it('refuses a body larger than 4 MiB', async () => {
    await expect(client.request(`${base}/huge`, { method: 'GET', headers: {}, timeoutMs: 5000 })).rejects.toThrow(/larger than/);
  });

  it('reports a refused connection and an unsupported scheme', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(client.request(`http://127.0.0.1:${port}/x`, { method: 'GET', headers: {}, timeoutMs: 5000 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(client.request('ftp://127.0.0.1/x', { method: 'GET', headers: {}, timeoutMs: 5000 })).rejects.toThrow(/unsupported URL scheme/);
  });
});
