import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Lock files held by this process (a second stack in the same process must be refused too). */
const heldHere = new Set<string>();

export interface StackLock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One stack per root: two would share `.data/` (Azurite's files, the host's SQLite store) and corrupt it.
 * The lock file holds the owner's pid; a lock left by a dead process is taken over.
 */
export async function acquireStackLock(file: string): Promise<StackLock> {
  await mkdir(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      heldHere.add(file);
      return {
        release: async () => {
          heldHere.delete(file);
          await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    const ownerRuns = owner === process.pid ? heldHere.has(file) : Number.isInteger(owner) && owner > 0 && isAlive(owner);
    if (ownerRuns) {
      throw new Error(`another stack (pid ${owner}) is running on ${dirname(dirname(file))}; stop it first (lock: ${file})`);
    }
    await rm(file, { force: true });
  }
  throw new Error(`could not take the stack lock ${file}`);
}
