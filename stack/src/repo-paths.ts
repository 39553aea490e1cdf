import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file holding package.json (works from src and dist). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'node_modules'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export const REPO_ROOT = findRepoRoot();

/** Absolute path of a compiled entry, e.g. `distEntry('simulator/src/main.js')`. */
export function distEntry(relative: string): string {
  return resolve(REPO_ROOT, 'dist', relative);
}

/** Absolute path inside node_modules. */
export function nodeModulesPath(relative: string): string {
  return resolve(REPO_ROOT, 'node_modules', relative);
}
