/**
 * Host keys. Sources, first match wins:
 *  1. settings FUNCTIONS_MASTER_KEY (admin) and FUNCTIONS_HOST_KEY (function level; comma-separated list allowed);
 *  2. the keys file `<dataDir>/secrets/host.json` (same shape as the real host's file secret storage);
 *  3. generated at first start and written to that file.
 * Per-function keys: `<dataDir>/secrets/<functionName>.json` `{"keys":[{"name":"default","value":"..."}]}`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const keySchema = z.object({ name: z.string(), value: z.string().min(1), encrypted: z.boolean().optional() });
const hostSecretsSchema = z.object({ masterKey: keySchema, functionKeys: z.array(keySchema), systemKeys: z.array(keySchema).optional() }).loose();
const functionSecretsSchema = z.object({ keys: z.array(keySchema) }).loose();

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HostKeys {
  masterKey: string;
  /** Host-level function keys (accepted for every function with authLevel function). */
  functionKeys: string[];
  source: 'settings' | 'file' | 'generated';
  file: string;
}

export function newKey(): string {
  return randomBytes(32).toString('base64url');
}

export async function loadHostKeys(dataDir: string, settings: Readonly<Record<string, string | undefined>>): Promise<HostKeys> {
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, 'host.json');
  const master = settings.FUNCTIONS_MASTER_KEY?.trim();
  const hostKeys = (settings.FUNCTIONS_HOST_KEY ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (master) return { masterKey: master, functionKeys: hostKeys, source: 'settings', file };

  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    const parsed = hostSecretsSchema.safeParse(JSON.parse(existing));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.message}`);
    return {
      masterKey: parsed.data.masterKey.value,
      functionKeys: [...hostKeys, ...parsed.data.functionKeys.map((k) => k.value)],
      source: 'file',
      file,
    };
  }
  const generated = { masterKey: newKey(), functionKey: newKey() };
  await mkdir(dir, { recursive: true });
  const body = {
    masterKey: { name: 'master', value: generated.masterKey, encrypted: false },
    functionKeys: [{ name: 'default', value: generated.functionKey, encrypted: false }],
    systemKeys: [],
  };
  try {
    await writeFile(file, JSON.stringify(body, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process won the race: what is on disk is the truth.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadHostKeys(dataDir, settings);
    throw err;
  }
  return { masterKey: generated.masterKey, functionKeys: [...hostKeys, generated.functionKey], source: 'generated', file };
}

export async function loadFunctionKeys(dataDir: string, functionName: string): Promise<string[]> {
  const file = path.join(dataDir, 'secrets', `${functionName.toLowerCase()}.json`);
  const raw = await readFile(file, 'utf8').catch(() => undefined);
  if (raw === undefined) return [];
  const parsed = functionSecretsSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.message}`);
  return parsed.data.keys.map((k) => k.value);
}

/** Key from the `x-functions-key` header or the `code` query parameter. */
export function presentedKey(headerValue: string | string[] | undefined, query: URLSearchParams): string | undefined {
  const header = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  return header ?? query.get('code') ?? undefined;
}

export function keyMatches(presented: string, candidates: readonly string[]): boolean {
  const a = Buffer.from(presented);
  let ok = false;
  for (const candidate of candidates) {
    const b = Buffer.from(candidate);
    if (a.length === b.length && timingSafeEqual(a, b)) ok = true;
  }
  return ok;
}

export function normaliseAuthLevel(value: unknown): AuthLevel {
  const v = typeof value === 'string' ? value.toLowerCase() : 'function';
  if (v === 'anonymous' || v === 'admin' || v === 'function') return v;
  // The real host treats "user"/"system" as stricter than function; require the master key.
  return 'admin';
}

/** True when `presented` authorises a call at `level` (master key authorises everything). */
export function authorise(level: AuthLevel, presented: string | undefined, keys: HostKeys, functionKeys: readonly string[]): boolean {
  if (level === 'anonymous') return true;
  if (presented === undefined) return false;
  if (keyMatches(presented, [keys.masterKey])) return true;
  if (level === 'admin') return false;
  return keyMatches(presented, [...keys.functionKeys, ...functionKeys]);
}
