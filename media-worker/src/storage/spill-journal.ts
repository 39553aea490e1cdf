// Local spill journal: chunks that could not reach Blob in time are written here (fsync'd) before they are acked,
// and drained to Blob later. One file per object: u32 BE header length, JSON header, data.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PutOptions } from './object-store.js';

export interface SpillEntry {
  file: string;
  name: string;
  metadata: Record<string, string>;
  tags?: Record<string, string>;
  contentType?: string;
  data: Buffer;
}

interface SpillHeader {
  name: string;
  metadata: Record<string, string>;
  tags?: Record<string, string>;
  contentType?: string;
}

export class SpillJournal {
  private readonly dir: string;
  private ready: Promise<void> | undefined;
  /** name -> file, for what is in the journal now. */
  private readonly index = new Map<string, string>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'spill');
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      for (const e of await this.entries()) this.index.set(e.name, e.file);
    })();
    return this.ready;
  }

  get size(): number {
    return this.index.size;
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  names(prefix = ''): string[] {
    return [...this.index.keys()].filter((n) => n.startsWith(prefix));
  }

  async open(): Promise<void> {
    await this.init();
  }

  /** Durably records an object: the file and its directory entry are fsync'd before this resolves. */
  async write(name: string, data: Buffer, options: PutOptions = {}): Promise<void> {
    await this.init();
    const file = createHash('sha256').update(name).digest('hex').slice(0, 40) + '.spill';
    const header: SpillHeader = { name, metadata: options.metadata ?? {}, tags: options.tags, contentType: options.contentType };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(headerBytes.length, 0);
    const tmp = join(this.dir, `${file}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writev([len, headerBytes, data]);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, file));
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    this.index.set(name, file);
  }

  async read(file: string): Promise<SpillEntry> {
    const buf = await readFile(join(this.dir, file));
    const hlen = buf.readUInt32BE(0);
    const header = JSON.parse(buf.toString('utf8', 4, 4 + hlen)) as SpillHeader;
    return { file, ...header, data: buf.subarray(4 + hlen) };
  }

  async readByName(name: string): Promise<SpillEntry | undefined> {
    await this.init();
    const file = this.index.get(name);
    // It may have been drained (and removed) meanwhile.
    return file ? this.read(file).catch(() => undefined) : undefined;
  }

  async entries(prefix = ''): Promise<SpillEntry[]> {
    const files = (await readdir(this.dir).catch(() => [])).filter((f) => f.endsWith('.spill'));
    const out: SpillEntry[] = [];
    for (const f of files) {
      const e = await this.read(f).catch(() => undefined);
      if (e && e.name.startsWith(prefix)) out.push(e);
    }
    return out;
  }

  async remove(name: string): Promise<void> {
    const file = this.index.get(name);
    if (!file) return;
    this.index.delete(name);
    await rm(join(this.dir, file), { force: true });
  }
}
