/** Host lifecycle through the CLI: settings errors, development mode, body limit, graceful shutdown. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, fixtureApp, type HostProcess, startHostProcess } from './host-process.js';

const hosts: HostProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const h of hosts) await h.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('local-host startup errors', () => {
  it('refuses a bad --settings file with a clear error', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-timer-'));
    dirs.push(dataDir);
    const settings = path.join(dataDir, 'bad.settings.json');
    await writeFile(settings, '{"Values": {"A": {"nested": true}}}');
    await expect(startHostProcess(['--app', fixtureApp, '--data', dataDir, '--settings', settings, '--no-durable'])).rejects.toThrow(
      /exited with 1[\s\S]*bad\.settings\.json/,
    );
  });
});

describe('local-host in development mode', () => {
  it('shows the error message in a 500 and enforces LOCAL_HOST_MAX_BODY_BYTES with 413', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-dev-'));
    dirs.push(dataDir);
    const h = await startHostProcess(['--app', fixtureApp, '--data', dataDir, '--no-durable'], {
      AZURE_FUNCTIONS_ENVIRONMENT: 'Development',
      LOCAL_HOST_MAX_BODY_BYTES: '1024',
      AzureFunctionsJobHost__functionTimeout: '00:00:05',
    });
    hosts.push(h);
    const boom = await fetch(`${h.baseUrl}/api/boom`);
    expect(boom.status).toBe(500);
    expect(((await boom.json()) as { message: string }).message).toContain('kaboom');
    const big = await fetch(`${h.baseUrl}/api/echo`, { method: 'POST', body: Buffer.alloc(4096) });
    expect(big.status).toBe(413);
    const small = await fetch(`${h.baseUrl}/api/echo`, { method: 'POST', body: Buffer.alloc(1000, 1) });
    expect((await small.arrayBuffer()).byteLength).toBe(1000);
  });

  it('fails an invocation that outlives functionTimeout (set through AzureFunctionsJobHost__functionTimeout)', async () => {
    const h = hosts[hosts.length - 1] as HostProcess;
    const res = await fetch(`${h.baseUrl}/api/never`);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { message: string }).message).toBe("Timeout value of 00:00:05 exceeded by function 'Functions.never'.");
  });
});

describe('local-host shutdown', () => {
  it('lets an in-flight request finish on SIGTERM, then exits 0', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-stop-'));
    dirs.push(dataDir);
    const h = await startHostProcess(['--app', fixtureApp, '--data', dataDir, '--no-durable']);
    const release = path.join(dataDir, 'release');
    const pending = fetch(`${h.baseUrl}/api/wait?file=${encodeURIComponent(release)}`);
    await eventually(async () => {
      const state = (await (await fetch(`${h.baseUrl}/api/state`)).json()) as { waiting?: number };
      return state.waiting === 1 ? true : undefined;
    });
    const exit = h.stop();
    await eventually(async () => (/host stopping/.test(h.output()) ? true : undefined));
    await writeFile(release, 'go');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('released');
    expect(await exit).toBe(0);
  });
});
