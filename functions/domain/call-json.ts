/**
 * `call.json`: the leg record the finalize activity writes next to the call's manifest in Blob. Blob is the source of
 * truth; the Cosmos conversation index is rebuilt from these files. Read back through this schema (we wrote them, but
 * a blob can be edited or truncated): the fields the index keys on are checked, the rest of the leg passes through.
 */
import { z } from 'zod';
import type { LegRecord } from './call-document.js';

const LegKeysSchema = z
  .object({
    callId: z.string().min(1),
    tenantId: z.string().min(1),
    callChainId: z.string().min(1).nullable(),
    endedAt: z.string().min(1),
    policy: z.object({ region: z.string().min(1) }).passthrough(),
    participants: z.array(z.unknown()),
    legs: z.never().optional(), // a conversation document is not a leg
  })
  .passthrough();

export const CallJsonSchema = z.object({
  schemaVersion: z.literal(1),
  conversationId: z.string().min(1),
  manifestBlob: z.string().nullable(),
  leg: LegKeysSchema,
});

export interface CallJson {
  schemaVersion: 1;
  conversationId: string;
  manifestBlob: string | null;
  leg: LegRecord;
}

export type ParsedCallJson = { ok: true; value: CallJson } | { ok: false; reason: string };

export function parseCallJson(text: string): ParsedCallJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const parsed = CallJsonSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  }
  // The leg's key fields are validated above; the remaining fields are the finalize activity's own LegRecord.
  return { ok: true, value: parsed.data as unknown as CallJson };
}

export const CALL_JSON_FILE = 'call.json';
