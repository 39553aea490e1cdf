import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnManaged, type ManagedChild } from '../../stack/src/process/managed-child.js';
import { distEntry } from '../../stack/src/repo-paths.js';
import { stackEnv, tempDir } from '../helpers/stack-env.js';

const CLI = distEntry('stack/src/cli.js');
const children: ManagedChild[] = [];
afterAll(async () => {
  await Promise.allSettled(children.map((c) => c.stop()));
});

async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) comes after the parenthesised command name, which may contain spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) found.push(Number(entry));
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cli(args: string[], lines: string[]): ManagedChild {
  const child = spawnManaged({
    name: 'stack-cli',
    command: process.execPath,
    args: [CLI, ...args],
    log: (_part, _stream, line) => lines.push(line),
  });
  children.push(child);
  return child;
}

describe('npm start (stack CLI)', { timeout: 300_000 }, () => {
  it('prints the URL table and READY, and Ctrl-C stops every part with exit 0', async () => {
    const root = await tempDir('cli');
    await mkdir(join(root, '.stack', 'certs'), { recursive: true });
    await copyFile(stackEnv().certFile, join(root, '.stack', 'certs', 'cert.pem'));
    await copyFile(stackEnv().keyFile, join(root, '.stack', 'certs', 'key.pem'));
    const lines: string[] = [];
    const child = cli(['--no-calls', '--quiet', '--root', root], lines);
    await child.waitForLine(/^READY stack \S+/, 240_000);
    const output = lines.join('\n');
    expect(output).toMatch(/azurite blob\s+http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
    expect(output).toMatch(/cosmos\s+https:\/\/127\.0\.0\.1:\d+/);
    const parts = await childrenOf(child.pid ?? -1);
    expect(parts.length).toBeGreaterThanOrEqual(2);

    child.signal('SIGINT');
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    expect(parts.filter(isAlive)).toEqual([]);
    expect(lines).toContain('[stack] stopped');
  });

  it('refuses an unknown flag with the usage and exit code 2', async () => {
    const lines: string[] = [];
    const child = cli(['--bogus'], lines);
    const exit = await child.exited;
    expect(exit.code).toBe(2);
    expect(lines.join('\n')).toMatch(/usage: npm start -- /);
  });

  it('refuses a worker pool size that is not a whole number from 1 to 8', async () => {
    for (const bad of ['0', '1.5', 'two']) {
      const lines: string[] = [];
      const exit = await cli(['--workers', bad], lines).exited;
      expect(exit.code).toBe(2);
      expect(lines.join('\n')).toContain(`--workers must be a whole number from 1 to 8 (got ${bad})`);
    }
  });
});
