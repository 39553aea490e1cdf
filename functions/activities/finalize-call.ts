/**
 * Persists the finished leg: `call.json` next to the manifest in Blob first (the source of truth), then the
 * conversation item in Cosmos (create-or-conflict / ETag). Idempotent: a rerun finds both unchanged.
 */
import type { CallJsonWriter } from '../adapters/blob.js';
import type { ConversationStore } from '../adapters/cosmos.js';
import { conversationIdOf, type LegRecord } from '../domain/call-document.js';
import type { FinalizeInput, FinalizeResult } from '../domain/activity-contracts.js';

/** `call.json` sits in the manifest's folder; without a manifest, in the same `{region}/{tenant}/{yyyy}/{mm}/{dd}/{callId}/` folder. */
export function callJsonBlobName(leg: LegRecord, manifestBlob: string | null): string {
  if (manifestBlob && manifestBlob.includes('/')) return `${manifestBlob.slice(0, manifestBlob.lastIndexOf('/'))}/call.json`;
  const d = new Date(leg.answeredAt ?? leg.endedAt);
  const yyyy = String(d.getUTCFullYear()).padStart(4, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${leg.policy.region.toLowerCase()}/${leg.tenantId}/${yyyy}/${mm}/${dd}/${leg.callId}/call.json`;
}

export function createFinalizeCall(deps: { callJson: CallJsonWriter; conversations: ConversationStore }) {
  return async function finalizeCall(input: FinalizeInput): Promise<FinalizeResult> {
    const conversationId = conversationIdOf(input.leg);
    const callJsonBlob = callJsonBlobName(input.leg, input.manifestBlob);
    const body = JSON.stringify({ schemaVersion: 1, conversationId, manifestBlob: input.manifestBlob, leg: input.leg }, null, 2);
    const blob = await deps.callJson.write(callJsonBlob, body);
    const { outcome: cosmos } = await deps.conversations.putLeg(input.leg);
    return { outcome: 'persisted', conversationId, callJsonBlob, blob, cosmos };
  };
}
