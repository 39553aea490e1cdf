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
