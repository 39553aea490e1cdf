/** Finds and imports the app's entry point(s) from package.json `main` (a path or a simple glob), as the worker does. */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { globBase, globToRegExp, hasGlobMagic } from './glob.js';

const packageJsonSchema = z.object({ main: z.string().min(1).optional() }).loose();

export async function readMain(appDir: string): Promise<string> {
  const file = path.join(appDir, 'package.json');
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    throw new Error(`Cannot read ${file}: the app folder needs a package.json whose "main" names the entry point.`);
  }
  const parsed = packageJsonSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.message}`);
  return parsed.data.main ?? 'index.js';
}

/** Absolute entry files for `main`, sorted; throws when nothing matches. */
export async function resolveEntryFiles(appDir: string, main: string): Promise<string[]> {
  if (!hasGlobMagic(main)) {
    const file = path.resolve(appDir, main);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new Error(`The entry point "${main}" (package.json "main") does not exist: ${file}`);
    return [file];
  }
  const matcher = globToRegExp(main);
  const base = globBase(main);
  const found: string[] = [];
  await walk(path.resolve(appDir, base), base, (relative) => {
    if (matcher.test(relative)) found.push(path.resolve(appDir, relative));
  });
  if (found.length === 0) throw new Error(`No file matches the entry point glob "${main}" in ${appDir}`);
  return found.sort();
}

async function walk(dir: string, relative: string, visit: (relativeFile: string) => void): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel, visit);
    else if (entry.isFile()) visit(rel);
  }
}

/** Imports every entry file in order (dynamic import, so ESM and CommonJS apps both load). */
export async function importEntryFiles(files: readonly string[]): Promise<void> {
  for (const file of files) {
    await import(pathToFileURL(file).href);
  }
}
