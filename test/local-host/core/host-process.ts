/** Starts the compiled local-host CLI as a child process on port 0 and waits for its READY line. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const cliPath = path.join(repoRoot, 'dist/local-host/src/cli.js');
export const fixtureApp = path.join(repoRoot, 'test/fixtures/http-app');

export interface HostProcess {
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then resolve with the exit code. */
  stop(): Promise<number | null>;
}

export async function startHostProcess(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<HostProcess> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run "npx tsc -p tsconfig.json" first`);
  const child = spawn(process.execPath, [cliPath, 'start', '--port', '0', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY line within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = (): void => {
      const m = /^READY local-host (\S+)$/m.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`local-host exited with ${code} before READY:\n${out}`));
    });
  });
  return {
    baseUrl,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
