import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { TestStackEnv } from './provided-context.js';

export type { TestStackEnv } from './provided-context.js';

/** Settings of the Azurite + cosmosdb-server started by the global setup for this test run. */
export function stackEnv(): TestStackEnv {
  const env = inject('testStack');
  if (!env) throw new Error('testStack not provided: is test/global-setup.ts wired in vitest.config.ts?');
  return env;
}

/** A lowercase name unique to this call, valid as a container/database/table name (3–63 chars). */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 40) || 't';
  return `${clean}${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** A fresh folder under the run's temp dir (removed by the global teardown). */
export async function tempDir(prefix: string): Promise<string> {
  const dir = join(stackEnv().tmpDir, uniqueName(prefix));
  await mkdir(dir, { recursive: true });
  return dir;
}
