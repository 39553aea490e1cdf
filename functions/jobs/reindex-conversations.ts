/**
 * Rebuilds the Cosmos conversation index from the `call.json` files in Blob (the source of truth). Idempotent: every
 * leg goes through the store's create-or-conflict / ETag merge, so a rerun over an intact index changes nothing, and a
 * partly lost index (cosmosdb-server restarted, a container dropped) is filled in. A file that does not parse is
 * reported by name and skipped; it never stops the rebuild nor overwrites an item.
 */
import type { CallJsonWriter } from '../adapters/blob.js';
import type { ConversationStore, StoreOutcome } from '../adapters/cosmos.js';
import { CALL_JSON_FILE, parseCallJson } from '../domain/call-json.js';

export interface ReindexSummary {
  scanned: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: { blob: string; reason: string }[];
  durationMs: number;
}

export interface ReindexOptions {
  /** Only blobs under this prefix (e.g. `eu/<tenant>/2026/`). */
  prefix?: string;
  /** Legs written concurrently (the local Cosmos server takes ~300 writes/s). */
  concurrency?: number;
}

export async function reindexConversations(
  deps: { callJson: CallJsonWriter; conversations: ConversationStore; now?: () => number },
  options: ReindexOptions = {},
): Promise<ReindexSummary> {
  const now = deps.now ?? Date.now;
  const started = now();
  const counts: Record<StoreOutcome, number> = { created: 0, updated: 0, unchanged: 0 };
  const skipped: ReindexSummary['skipped'] = [];
  let scanned = 0;
  const inFlight = new Set<Promise<void>>();
  const limit = Math.max(1, options.concurrency ?? 8);

  const indexOne = async (blob: string): Promise<void> => {
    const text = await deps.callJson.read(blob);
    if (text === null) return; // deleted between listing and reading (retention)
    const parsed = parseCallJson(text);
    if (!parsed.ok) {
      skipped.push({ blob, reason: parsed.reason });
      return;
    }
    const { outcome } = await deps.conversations.putLeg(parsed.value.leg);
    counts[outcome] += 1;
  };

  for await (const blob of deps.callJson.listNamed(CALL_JSON_FILE, options.prefix)) {
    scanned += 1;
    const p = indexOne(blob).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { scanned, ...counts, skipped, durationMs: now() - started };
}
