// Local-file adapter (bench, tests): one file per object under a root, created exclusively ('wx'), holding
// a u32 BE metadata length, the metadata JSON, then the data. Three file operations per object.
import { mkdir, open, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ConflictError, type ObjectStore, type PutOptions, type PutOutcome, type StoredObjectInfo } from './object-store.js';

function encode(data: Buffer, metadata: Record<string, string>): Buffer[] {
  const meta = Buffer.from(JSON.stringify(metadata), 'utf8');
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(meta.length, 0);
  return [len, meta, data];
}

function decode(file: Buffer): { data: Buffer; metadata: Record<string, string> } | undefined {
  if (file.length < 4) return undefined;
  const n = file.readUInt32BE(0);
  if (4 + n > file.length) return undefined;
  try {
    return { metadata: JSON.parse(file.toString('utf8', 4, 4 + n)) as Record<string, string>, data: file.subarray(4 + n) };
  } catch {
    return undefined;
  }
}

export class FileObjectStore implements ObjectStore {
  readonly kind = 'file';
  private readonly madeDirs = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly options: { fsync?: boolean } = {},
  ) {}

  private path(name: string): string {
    if (name.split('/').some((p) => p === '..')) throw new Error('object name must not contain ..');
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
    const parts = encode(data, options.metadata ?? {});
    let fh;
    try {
      fh = await open(path, 'wx'); // exclusive create: a retry finds the file
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const existing = decode(await readFile(path));
      if (existing?.data.equals(data)) return 'existed';
      const expected = parts.reduce((n, p) => n + p.length, 0);
      if (!existing || (await readFile(path)).length < expected) {
        await writeFile(path, Buffer.concat(parts)); // a torn write from a crash: complete it
        return 'created';
      }
      throw new ConflictError(name);
    }
    try {
      await fh.writev(parts);
      if (this.options.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    return 'created';
  }

  async get(name: string): Promise<{ data: Buffer; metadata: Record<string, string> } | undefined> {
    const file = await readFile(this.path(name)).catch(() => undefined);
    return file ? decode(file) : undefined;
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    const names: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else names.push(relative(this.root, p).split(sep).join('/'));
      }
    };
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(dirPart ? this.path(dirPart) : this.root);
    names.sort();
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const obj = await this.get(name);
      if (obj) yield { name, metadata: obj.metadata };
    }
  }

  async overwriteForTest(name: string, data: Buffer): Promise<void> {
    const obj = await this.get(name);
    await writeFile(this.path(name), Buffer.concat(encode(data, obj?.metadata ?? {})));
  }
}
