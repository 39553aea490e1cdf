/** Reads the app folder's host.json and local.settings.json (validated at the edge) and resolves `%Setting%` references. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const localSettingsSchema = z
  .object({
    IsEncrypted: z.boolean().optional(),
    Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
    Host: z
      .object({
        LocalHttpPort: z.union([z.number().int().min(0).max(65535), z.string().regex(/^\d+$/).transform(Number)]).optional(),
      })
      .loose()
      .optional(),
    ConnectionStrings: z.record(z.string(), z.string()).optional(),
  })
  .loose();

export type LocalSettings = z.infer<typeof localSettingsSchema>;

const hostJsonSchema = z
  .object({
    version: z.string().optional(),
    extensions: z
      .object({
        http: z.object({ routePrefix: z.string().optional() }).loose().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export type HostJson = z.infer<typeof hostJsonSchema>;

export async function readJsonFile(file: string): Promise<unknown | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    // host.json and local.settings.json may carry a UTF-8 BOM
    return JSON.parse(raw.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export async function loadLocalSettings(file: string): Promise<LocalSettings> {
  const json = await readJsonFile(file);
  if (json === undefined) return {};
  const parsed = localSettingsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.message}`);
  if (parsed.data.IsEncrypted) throw new Error(`${file}: encrypted settings are not supported; set "IsEncrypted": false.`);
  return parsed.data;
}

export async function loadHostJson(appDir: string): Promise<HostJson> {
  const file = path.join(appDir, 'host.json');
  const json = await readJsonFile(file);
  if (json === undefined) return { version: '2.0' };
  const parsed = hostJsonSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.message}`);
  return parsed.data;
}

/** `extensions.http.routePrefix` (default "api"; "" means no prefix), normalised without slashes. */
export function routePrefixOf(hostJson: HostJson): string {
  const prefix = hostJson.extensions?.http?.routePrefix ?? 'api';
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** Replaces `%Name%` with the setting's value, as the host does for binding properties. Throws for an unknown setting. */
export function resolveSettingReferences(value: string, settings: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/%([^%]+)%/g, (_m, name: string) => {
    const resolved = settings[name];
    if (resolved === undefined) throw new Error(`The setting "${name}" referenced as %${name}% is not defined.`);
    return resolved;
  });
}

/**
 * Applies `AzureFunctionsJobHost__a__b` settings over host.json (the real host's override convention), e.g.
 * `AzureFunctionsJobHost__functionTimeout=00:00:30` or `AzureFunctionsJobHost__extensions__durableTask__hubName=X`.
 * Existing keys are matched case-insensitively; "true"/"false" and plain numbers become booleans and numbers.
 */
export function applyHostJsonOverrides(hostJson: HostJson, settings: Readonly<Record<string, string | undefined>>): HostJson {
  const result = structuredClone(hostJson) as Record<string, unknown>;
  const prefix = 'azurefunctionsjobhost__';
  for (const [name, raw] of Object.entries(settings)) {
    if (raw === undefined || !name.toLowerCase().startsWith(prefix)) continue;
    const path = name.slice(prefix.length).split('__').filter(Boolean);
    if (path.length === 0) continue;
    let node = result;
    for (let i = 0; i < path.length; i++) {
      const wanted = path[i] as string;
      const key = Object.keys(node).find((k) => k.toLowerCase() === wanted.toLowerCase()) ?? wanted;
      if (i === path.length - 1) {
        node[key] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
      } else {
        const child = node[key];
        if (typeof child !== 'object' || child === null || Array.isArray(child)) node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
    }
  }
  return result as HostJson;
}

/** host.json `functionTimeout` ("hh:mm:ss", "d.hh:mm:ss"; "-1" or absent = no limit) in milliseconds. */
export function functionTimeoutMs(hostJson: HostJson): number | undefined {
  const raw = (hostJson as { functionTimeout?: unknown }).functionTimeout;
  if (raw === undefined || raw === null || raw === '-1' || raw === -1) return undefined;
  const m = typeof raw === 'string' ? /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(raw.trim()) : null;
  if (!m) throw new Error(`host.json functionTimeout "${String(raw)}" is not a TimeSpan like "00:05:00" (or "-1").`);
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  const ms = (((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000;
  if (ms <= 0) throw new Error('host.json functionTimeout must be positive (or "-1" for no limit).');
  return ms;
}
