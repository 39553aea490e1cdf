// Local-file adapter (bench, tests): objects as files under a root; create-exclusive gives write-once semantics.
import { link, mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ConflictError, type ObjectStore, type PutOptions, type PutOutcome, type StoredObjectInfo } from './object-store.js';

const META_SUFFIX = '.meta.json';

export class FileObjectStore implements ObjectStore {
  readonly kind = 'file';
  private readonly madeDirs = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly options: { fsync?: boolean } = {},
  ) {}

  private path(name: string): string {
    if (name.includes('..')) throw new Error('object name must not contain ..');
    return join(this.root, ...name.split('/'));
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  async putIfAbsent(name: string, data: Buffer, options: PutOptions = {}): Promise<PutOutcome> {
    const path = this.path(name);
    await this.ensureDir(dirname(path));
    // Metadata first (it is overwritten harmlessly on retry), then the data file with an exclusive create via rename.
    if (options.metadata) await writeFile(path + META_SUFFIX, JSON.stringify(options.metadata));
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      if (this.options.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, path); // atomic create-if-absent
      return 'created';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const existing = await readFile(path);
      if (existing.equals(data)) return 'existed';
      throw new ConflictError(name);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async get(name: string): Promise<{ data: Buffer; metadata: Record<string, string> } | undefined> {
    const path = this.path(name);
    const data = await readFile(path).catch(() => undefined);
    if (!data) return undefined;
    const meta = await readFile(path + META_SUFFIX, 'utf8').catch(() => '{}');
    return { data, metadata: JSON.parse(meta) as Record<string, string> };
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    const names: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!e.name.endsWith(META_SUFFIX) && !e.name.endsWith('.tmp')) names.push(relative(this.root, p).split(sep).join('/'));
      }
    };
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(dirPart ? this.path(dirPart) : this.root);
    names.sort();
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const meta = await readFile(this.path(name) + META_SUFFIX, 'utf8').catch(() => '{}');
      yield { name, metadata: JSON.parse(meta) as Record<string, string> };
    }
  }

  async overwriteForTest(name: string, data: Buffer): Promise<void> {
    await writeFile(this.path(name), data);
  }
}
