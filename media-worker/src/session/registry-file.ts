// Persists the session registry atomically (write temp, fsync, rename) so a restarted worker finds its sessions.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RegistryFileSchema, type SessionRecord } from './session-record.js';

export class RegistryFile {
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly file: string) {}

  async load(): Promise<SessionRecord[]> {
    const text = await readFile(this.file, 'utf8').catch(() => undefined);
    if (!text) return [];
    const parsed = RegistryFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`session registry ${this.file} is malformed: ${parsed.error.message}`);
    return parsed.data.sessions;
  }

  /** Coalesces concurrent saves; resolves when a write that includes the latest state is on disk. */
  save(snapshot: () => SessionRecord[]): Promise<void> {
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify({ v: 1, sessions: snapshot() }));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
