/** The CLI started as a child process on port 0 with the fixture app: HTTP triggers end to end. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureApp, type HostProcess, startHostProcess } from './host-process.js';

let host: HostProcess;
let dataDir: string;
let keys: { master: string; function: string };

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-http-'));
  host = await startHostProcess(['--app', fixtureApp, '--data', dataDir, '--no-durable'], { FIXTURE_GREETING: 'from the environment' });
  const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets/host.json'), 'utf8')) as {
    masterKey: { value: string };
    functionKeys: { value: string }[];
  };
  keys = { master: secrets.masterKey.value, function: secrets.functionKeys[0]?.value ?? '' };
});

afterAll(async () => {
  const code = await host?.stop();
  expect(code).toBe(0);
  await rm(dataDir, { recursive: true, force: true });
});

const url = (p: string): string => `${host.baseUrl}${p}`;

describe('local-host HTTP triggers', () => {
  it('prints the function list and the generated keys', () => {
    expect(host.output()).toMatch(/hello: \[GET\] http:\/\/127\.0\.0\.1:\d+\/api\/hello/);
    expect(host.output()).toMatch(/getItem: \[GET,DELETE\] .*\/api\/items\/\{id:int\}/);
    expect(host.output()).toContain(`master: ${keys.master}`);
  });

  it('answers the health endpoint', async () => {
    const res = await fetch(url('/admin/host/status'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'Running' });
  });

  it('routes by default name with query parameters', async () => {
    const res = await fetch(url('/api/hello?name=ada'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello ada');
  });

  it('binds route parameters and honours constraints and methods', async () => {
    const del = await fetch(url('/api/items/42'), { method: 'DELETE' });
    expect(await del.json()).toEqual({ id: '42', method: 'DELETE' });
    const byName = await fetch(url('/api/items/abc'));
    expect(await byName.json()).toEqual({ name: 'abc' });
    expect((await fetch(url('/api/items/4a'))).status).toBe(404);
    const wrongMethod = await fetch(url('/api/items/abc'), { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('handles optional and catch-all parameters', async () => {
    expect(await (await fetch(url('/api/opt'))).json()).toEqual({ name: null });
    expect(await (await fetch(url('/api/opt/zed'))).json()).toEqual({ name: 'zed' });
    expect(await (await fetch(url('/api/files/a/b%20c/d.txt?x=1&x=2'))).json()).toEqual({ path: 'a/b c/d.txt', query: { x: '1,2' } });
  });

  it('round-trips a binary body byte for byte', async () => {
    const body = Buffer.alloc(256 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    const res = await fetch(url('/api/echo'), { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-echo-length')).toBe(String(body.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
  });

  it('accepts a streamed (chunked) request body', async () => {
    const parts = ['first ', 'second ', 'third'];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
        controller.close();
      },
    });
    const res = await fetch(url('/api/echo'), { method: 'PUT', body: stream, duplex: 'half', headers: { 'content-type': 'text/plain' } } as RequestInit);
    expect(await res.text()).toBe(parts.join(''));
  });

  it('delivers a streamed response body', async () => {
    const res = await fetch(url('/api/stream?chunks=50'));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.split('\n').filter(Boolean)).toHaveLength(50);
    expect(text.startsWith('chunk-0\nchunk-1\n')).toBe(true);
  });

  it('returns status, headers and cookies from the function', async () => {
    const res = await fetch(url('/api/cookies'));
    expect(res.status).toBe(201);
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(res.headers.getSetCookie()).toEqual(['session=abc123; Path=/; HttpOnly; SameSite=Strict', 'theme=dark; Max-Age=3600']);
  });

  it('passes traceparent as the trace context and gives each invocation its own id', async () => {
    const traceParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const a = (await (await fetch(url('/api/trace'), { headers: { traceparent: traceParent } })).json()) as { traceParent: string; invocationId: string };
    const b = (await (await fetch(url('/api/trace'))).json()) as { traceParent: string | null; invocationId: string };
    expect(a.traceParent).toBe(traceParent);
    expect(b.traceParent).toBeNull();
    expect(a.invocationId).not.toBe(b.invocationId);
  });

  it('answers 204 when the function returns nothing', async () => {
    expect((await fetch(url('/api/nothing'))).status).toBe(204);
  });

  it('keeps the app\'s own 4xx', async () => {
    const res = await fetch(url('/api/validate'), { method: 'POST', body: 'not json' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'body must be JSON' });
    expect((await fetch(url('/api/validate'), { method: 'POST', body: '{}' })).status).toBe(202);
  });

  it('answers 500 without the error text or stack when a handler throws', async () => {
    const res = await fetch(url('/api/boom'));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('kaboom');
    expect(text).not.toMatch(/at .*\.js:\d+/);
    // the host keeps serving afterwards
    expect((await fetch(url('/api/hello'))).status).toBe(200);
  });

  it('answers 404 for unknown routes', async () => {
    expect((await fetch(url('/api/no/such/route'))).status).toBe(404);
    expect((await fetch(url('/elsewhere'))).status).toBe(404);
  });

  it('enforces function and admin auth levels', async () => {
    expect((await fetch(url('/api/secure/function'))).status).toBe(401);
    expect((await fetch(url('/api/secure/function?code=wrong'))).status).toBe(401);
    expect((await fetch(url(`/api/secure/function?code=${encodeURIComponent(keys.function)}`))).status).toBe(200);
    expect((await fetch(url('/api/secure/function'), { headers: { 'x-functions-key': keys.master } })).status).toBe(200);
    expect((await fetch(url('/api/secure/admin'), { headers: { 'x-functions-key': keys.function } })).status).toBe(401);
    const admin = await fetch(url('/api/secure/admin'), { headers: { 'x-functions-key': keys.master } });
    expect(await admin.text()).toBe('admin-level ok');
  });

  it('accepts per-function keys from the data dir', async () => {
    await writeFile(path.join(dataDir, 'secrets/securefn.json'), JSON.stringify({ keys: [{ name: 'default', value: 'per-function-key' }] }));
    expect((await fetch(url('/api/secure/function'), { headers: { 'x-functions-key': 'per-function-key' } })).status).toBe(200);
  });

  it('makes local.settings.json Values visible to the app (they overlay the environment)', async () => {
    expect(await (await fetch(url('/api/settings'))).json()).toEqual({ greeting: 'hello from local.settings.json' });
  });

  it('ran appStart, preInvocation and log hooks and the runOnStartup timer', async () => {
    const state = (await (await fetch(url('/api/state'))).json()) as {
      appStarted: boolean;
      preInvocations: number;
      startupRuns: unknown[];
      logHook: unknown;
    };
    expect(state.appStarted).toBe(true);
    expect(state.logHook).toEqual({ level: 'information', functionName: 'hello' });
    expect(state.preInvocations).toBeGreaterThan(5);
    expect(state.startupRuns).toEqual([{ isPastDue: false }]);
  });

  it('lets preInvocation hooks replace the handler and postInvocation hooks replace an error', async () => {
    expect(await (await fetch(url('/api/hookReplaced'))).text()).toBe('replaced by preInvocation');
    const recovered = await fetch(url('/api/hookRecovered'));
    expect(recovered.status).toBe(299);
    expect(await recovered.text()).toBe('recovered from: error');
  });

  it('protects the admin API with the master key and runs a timer on demand', async () => {
    expect((await fetch(url('/admin/functions'))).status).toBe(401);
    const list = await fetch(url('/admin/functions'), { headers: { 'x-functions-key': keys.master } });
    expect(((await list.json()) as { name: string }[]).map((f) => f.name)).toContain('tick');
    const bad = await fetch(url('/admin/functions/tick'), { method: 'POST', body: '{oops', headers: { 'x-functions-key': keys.master } });
    expect(bad.status).toBe(400);
    const run = await fetch(url('/admin/functions/onStartup'), { method: 'POST', body: '{}', headers: { 'x-functions-key': keys.master } });
    expect(run.status).toBe(202);
  });
});
