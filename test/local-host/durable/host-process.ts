/**
 * Starts the local host CLI with the durable fixture app as a child process on port 0 and talks to it over HTTP only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const cliPath = path.join(repoRoot, 'dist/local-host/src/cli.js');
export const fixtureApp = path.join(repoRoot, 'test/fixtures/durable-app');

export interface HostProcess {
  baseUrl: string;
  webhooks: string;
  dataDir: string;
  child: ChildProcess;
  output: () => string;
  /** SIGKILL, no clean shutdown. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export function newDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'durable-conformance-'));
}

export async function startHostProcess(dataDir = newDataDir(), env: Record<string, string> = {}): Promise<HostProcess> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: build first (npx tsc -p tsconfig.json).`);
  const child = spawn(process.execPath, [cliPath, 'start', '--app', fixtureApp, '--port', '0', '--data', dataDir, '--log-level', 'warn'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not print READY within 60 s:\n${out}`)), 60_000);
    const onData = (): void => {
      const m = /READY local-host (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before READY:\n${out}`));
    });
  });
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    // A host that does not exit on SIGTERM within 15 s is killed, so afterAll never leaves a process behind.
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(force);
  };
  return {
    baseUrl,
    webhooks: `${baseUrl}/runtime/webhooks/durabletask`,
    dataDir,
    child,
    output: () => out,
    kill9: () => stopWith('SIGKILL'),
    stop: () => stopWith('SIGTERM'),
  };
}

export interface Status {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

export async function startOrchestration(host: HostProcess, name: string, input?: unknown, instanceId?: string): Promise<string> {
  const res = await fetch(`${host.webhooks}/orchestrators/${name}${instanceId ? `/${encodeURIComponent(instanceId)}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(input === undefined ? {} : { body: JSON.stringify(input) }),
  });
  if (res.status !== 202) throw new Error(`start ${name}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export async function getStatus(host: HostProcess, id: string, query = ''): Promise<{ http: number; body: Status | undefined }> {
  const res = await fetch(`${host.webhooks}/instances/${encodeURIComponent(id)}${query}`);
  const text = await res.text();
  return { http: res.status, body: text ? (JSON.parse(text) as Status) : undefined };
}

const finalStatuses = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** Polls until the instance reaches a final status (or `until` holds). */
export async function waitFor(
  host: HostProcess,
  id: string,
  timeoutMs = 30_000,
  until: (s: Status) => boolean = (s) => finalStatuses.has(s.runtimeStatus),
): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let last: Status | undefined;
  while (Date.now() < deadline) {
    const { body } = await getStatus(host, id);
    last = body;
    if (body && until(body)) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

export async function raise(host: HostProcess, id: string, event: string, body: string, contentType = 'application/json'): Promise<number> {
  const res = await fetch(`${host.webhooks}/instances/${encodeURIComponent(id)}/raiseEvent/${event}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}
