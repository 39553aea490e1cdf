import { readdir, readFile } from 'node:fs/promises';

export interface ReapedProcess {
  readonly pid: number;
  readonly command: string;
}

/**
 * Safety net for test runs (Linux /proc): SIGKILLs every process, other than this one and vitest's own workers, whose
 * environment holds `name=value` exactly. The test global setup marks itself with a per-run variable that the test
 * workers and everything they start inherit, so children a crashed suite left behind are found.
 */
export async function reapByEnv(name: string, value: string): Promise<ReapedProcess[]> {
  const needle = `${name}=${value}`;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const reaped: ReapedProcess[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || pid === process.ppid) continue;
    let environ: string;
    try {
      environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    if (!environ.split('\0').includes(needle)) continue;
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').then((c) => c.split('\0').join(' ').trim(), () => '');
    if (command.includes('/vitest/')) continue; // the runner's own workers end by themselves
    try {
      process.kill(pid, 'SIGKILL');
      reaped.push({ pid, command });
    } catch {
      // already gone
    }
  }
  return reaped;
}
