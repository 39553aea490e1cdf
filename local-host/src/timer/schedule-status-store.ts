/** Persists each timer's schedule status (Last/Next/LastUpdated) in the data dir, like the host's timer monitor. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const statusSchema = z.object({ Last: z.string(), Next: z.string(), LastUpdated: z.string() });
export type ScheduleStatus = z.infer<typeof statusSchema>;

export class ScheduleStatusStore {
  readonly #dir: string;

  constructor(dataDir: string) {
    this.#dir = path.join(dataDir, 'timers');
  }

  #file(functionName: string): string {
    return path.join(this.#dir, `${functionName.toLowerCase()}.status.json`);
  }

  /** The stored status, or undefined when there is none or it is unreadable (then the timer starts afresh). */
  async read(functionName: string): Promise<ScheduleStatus | undefined> {
    const raw = await readFile(this.#file(functionName), 'utf8').catch(() => undefined);
    if (raw === undefined) return undefined;
    try {
      const parsed = statusSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Atomic write (temp file + rename) so a crash never leaves a torn status file. */
  async write(functionName: string, status: ScheduleStatus): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const file = this.#file(functionName);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(status, null, 2) + '\n');
    await rename(tmp, file);
  }
}
