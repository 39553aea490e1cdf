import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

/** Identities and keys shared by the local parts; generated at first start, kept in `.stack/secrets.json`. */
export const stackSecretsSchema = z.object({
  botAppId: z.string().min(1),
  botAppSecret: z.string().min(16),
  tenantId: z.string().min(1),
  workerSharedKey: z.string().min(16),
  functionsMasterKey: z.string().min(16),
  functionsHostKey: z.string().min(16),
});
export type StackSecrets = z.infer<typeof stackSecretsSchema>;

const key = (): string => randomBytes(32).toString('base64url');

export function generateSecrets(): StackSecrets {
  return {
    botAppId: randomUUID(),
    botAppSecret: key(),
    tenantId: randomUUID(),
    workerSharedKey: key(),
    functionsMasterKey: key(),
    functionsHostKey: key(),
  };
}

/**
 * Reads the secrets file, or creates it (mode 0600). Fields missing from an older file are generated and saved;
 * a file that is not valid JSON or has a malformed field is an error naming the file (never silently replaced).
 */
export async function loadOrCreateSecrets(file: string): Promise<{ secrets: StackSecrets; created: boolean }> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    const secrets = generateSecrets();
    await save(file, secrets);
    return { secrets, created: true };
  }
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; fix it or delete it to generate new secrets`);
  }
  const partial = stackSecretsSchema.partial().safeParse(stored);
  if (!partial.success) {
    throw new Error(`${file} is malformed (${partial.error.issues.map((i) => i.path.join('.')).join(', ')}); fix it or delete it`);
  }
  const merged = stackSecretsSchema.parse({ ...generateSecrets(), ...partial.data });
  const complete = stackSecretsSchema.safeParse(stored).success;
  if (!complete) await save(file, merged);
  return { secrets: merged, created: !complete };
}

async function save(file: string, secrets: StackSecrets): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
}
