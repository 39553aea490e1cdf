/**
 * The Durable client for HTTP handlers. `df.getClient(context)` rebuilds the client (URL rewriting, validation) on
 * every invocation; its binding data is the same for every invocation of this host, so the client is built once per
 * distinct binding value and reused.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';

/** The one durableClient input every HTTP function registers (see index.ts). */
export const durableClientInput = df.input.durableClient();

let cached: { key: string; client: DurableClient } | null = null;

export function durableClientFor(context: InvocationContext): DurableClient {
  const raw = context.extraInputs.get(durableClientInput);
  const key = typeof raw === 'string' ? raw : JSON.stringify(raw ?? null);
  if (cached && cached.key === key) return cached.client;
  const client = df.getClient(context);
  cached = { key, client };
  return client;
}
