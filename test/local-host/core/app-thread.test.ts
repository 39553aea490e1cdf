/**
 * The app runs in a worker thread of the host process (as the real host runs the Node worker in a process of its
 * own): not on the host's main thread, and an uncaught error in app code costs the app's thread, not the host. The
 * host starts a new thread, which loads the app again (appStart runs again), and serves the next requests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, fixtureApp, type HostProcess, startHostProcess } from './host-process.js';

interface Where {
  isMainThread: boolean;
  threadId: number;
  appStarted: boolean;
}

let host: HostProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-thread-'));
  host = await startHostProcess(['--app', fixtureApp, '--data', dataDir, '--no-durable']);
});

afterAll(async () => {
  await host?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const where = async (): Promise<Where> => (await (await fetch(`${host.baseUrl}/api/where`)).json()) as Where;

describe('the app thread', () => {
  it('runs the app off the host main thread', async () => {
    const w = await where();
    expect(w.isMainThread).toBe(false);
    expect(w.appStarted).toBe(true);
  });

  it('survives an uncaught error in app code: a new thread loads the app and serves requests', async () => {
    const before = await where();
    const crash = await fetch(`${host.baseUrl}/api/crash`, { method: 'POST' });
    expect(crash.status).toBe(202);
    const after = await eventually(async () => {
      const res = await fetch(`${host.baseUrl}/api/where`).catch(() => null);
      if (res?.status !== 200) return undefined;
      const w = (await res.json()) as Where;
      return w.threadId !== before.threadId ? w : undefined;
    });
    expect(after.isMainThread).toBe(false);
    expect(after.appStarted).toBe(true);
    expect((await fetch(`${host.baseUrl}/api/hello?name=again`).then((r) => r.text()))).toBe('hello again');
    expect(host.output()).toContain('app thread exited; starting a new one');
    expect(host.output()).toContain('fixture: uncaught error in app code');
  });
});
