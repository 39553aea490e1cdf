import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { spawnManaged, waitForReady } from '../../stack/src/process/managed-child.js';
import { reapByEnv } from '../../stack/src/process/reap.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function node(name: string, script: string, lines: string[] = []) {
  return spawnManaged({
    name,
    command: process.execPath,
    args: ['-e', script],
    log: (_part, _stream, line) => lines.push(line),
  });
}

describe('managed child', () => {
  it('reads the READY url and prefixes nothing into it', async () => {
    const lines: string[] = [];
    const child = node('svc', `console.log('hello'); console.log('READY svc http://127.0.0.1:1234/'); setInterval(() => {}, 1000);`, lines);
    expect(await waitForReady(child, 'svc', 30_000)).toBe('http://127.0.0.1:1234');
    expect(lines).toContain('hello');
    const exit = await child.stop();
    expect(exit.signal === 'SIGTERM' || exit.code !== null).toBe(true);
  });

  it('rejects with the child output when it exits before READY', async () => {
    const child = node('early', `console.error('config is wrong: X missing'); process.exit(3);`);
    await expect(waitForReady(child, 'early', 30_000)).rejects.toThrow(/exited \(code 3.*\n.*config is wrong: X missing/s);
  });

  it('escalates to SIGKILL when SIGTERM is ignored, and takes grandchildren down with the group', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
      process.on('SIGTERM', () => {});
      console.log('GRANDCHILD ' + g.pid);
      setInterval(() => {}, 1000);`;
    const child = node('stubborn', script);
    const match = await child.waitForLine(/^GRANDCHILD (\d+)/, 30_000);
    const grandchild = Number(match[1]);
    expect(isAlive(grandchild)).toBe(true);
    const exit = await child.stop({ graceMs: 300 });
    expect(exit.signal).toBe('SIGKILL');
    expect(child.hasExited).toBe(true);
    // The grandchild was in the same process group; SIGKILL is delivered at once but reaping is asynchronous.
    for (let i = 0; i < 100 && isAlive(grandchild); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isAlive(grandchild)).toBe(false);
  });
});

describe('leftover reaper', () => {
  it('kills exactly the processes marked with the run variable', async () => {
    const mark = randomUUID();
    const script = 'setInterval(() => {}, 1000)';
    const marked = spawn(process.execPath, ['-e', script], { env: { ...process.env, REAP_TEST_MARK: mark }, stdio: 'ignore', detached: true });
    const other = spawn(process.execPath, ['-e', script], { env: { ...process.env, REAP_TEST_MARK: 'other' }, stdio: 'ignore', detached: true });
    const markedExit = new Promise<NodeJS.Signals | null>((resolve) => marked.once('exit', (_c, sig) => resolve(sig)));
    try {
      // /proc/<pid>/environ is readable once the child has exec'd node; retry briefly until it shows up.
      let reaped: { pid: number }[] = [];
      for (let i = 0; i < 50 && reaped.length === 0; i++) {
        reaped = await reapByEnv('REAP_TEST_MARK', mark);
        if (reaped.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(reaped.map((p) => p.pid)).toEqual([marked.pid]);
      expect(await markedExit).toBe('SIGKILL');
      expect(isAlive(other.pid ?? 0)).toBe(true);
    } finally {
      other.kill('SIGKILL');
      marked.kill('SIGKILL');
    }
  });
});
