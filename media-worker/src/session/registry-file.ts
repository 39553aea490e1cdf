// Persists the session registry so a restarted worker finds its sessions: one small JSON file per session
// (write temp, fsync, rename), so a state change costs O(1) however many calls the worker holds.
import { mkdir, open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { SessionRecordSchema, type SessionRecord } from './session-record.js';

export class RegistryFile {
  private readonly writing = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private made = false;

  constructor(private readonly dir: string) {}

  async load(): Promise<SessionRecord[]> {
    const files = (await readdir(this.dir).catch(() => [])).filter((f) => f.endsWith('.json'));
    const out: SessionRecord[] = [];
    for (const f of files) {
      const text = await readFile(join(this.dir, f), 'utf8');
      const parsed = SessionRecordSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`session file ${f} is malformed: ${parsed.error.message}`);
      out.push(parsed.data);
    }
    return out;
  }

  /** Coalesces concurrent saves of one session; resolves when a write that includes the latest state is on disk. */
  save(record: SessionRecord): Promise<void> {
    const id = record.sessionId;
    this.dirty.add(id);
    const next = (this.writing.get(id) ?? Promise.resolve()).then(async () => {
      if (!this.dirty.delete(id)) return;
      if (!this.made) {
        await mkdir(this.dir, { recursive: true });
        this.made = true;
      }
      const file = join(this.dir, `${id}.json`);
      const tmp = `${file}.tmp`;
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(record));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    });
    this.writing.set(id, next);
    void next.then(
      () => {
        if (this.writing.get(id) === next) this.writing.delete(id);
      },
      () => undefined,
    );
    return next;
  }
}
