// Rebuilding the Cosmos conversation index from the call.json files in Blob, against the run's Azurite and cosmosdb-server.
import { describe, expect, it } from 'vitest';
import { createFinalizeCall } from '../../functions/activities/finalize-call.js';
import { CallJsonWriter } from '../../functions/adapters/blob.js';
import { ConversationStore } from '../../functions/adapters/cosmos.js';
import type { LegRecord } from '../../functions/domain/call-document.js';
import { parseCallJson } from '../../functions/domain/call-json.js';
import { reindexConversations } from '../../functions/jobs/reindex-conversations.js';
import { blobServiceClient, cosmosClient } from '../helpers/clients.js';
import { uniqueName } from '../helpers/stack-env.js';

const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';

function leg(callId: string, callChainId: string | null, over: Partial<LegRecord> = {}): LegRecord {
  return {
    callId, tenantId: TENANT, callChainId, direction: 'incoming',
    recordedUser: { userId: 'u1' }, otherSide: { phoneNumber: '+4930123456' }, workerId: 'w1', sessionId: `s-${callId}`,
    answeredAt: '2026-01-02T10:00:00.000Z', establishedAt: '2026-01-02T10:00:01.000Z', endedAt: '2026-01-02T10:05:00.000Z',
    lifecycle: 'finalized', recordingStatus: 'recording', terminatedReason: { code: 200, subcode: 4097 }, failureReason: null,
    policy: { source: 'default', region: 'eu', retentionClass: 'standard', resiliency: 'failOpen', record: true },
    participants: [], speakerMap: {}, integrity: 'sealed', seal: null, customData: { desk: 'FX' }, ...over,
  };
}

describe('reindexConversations', () => {
  it('rebuilds a lost index exactly from Blob, reruns change nothing, and bad files are named and skipped', async () => {
    const container = uniqueName('calls');
    const callJson = new CallJsonWriter(blobServiceClient(), container);
    const original = new ConversationStore(cosmosClient(), uniqueName('db'), 'conversations');
    const finalize = createFinalizeCall({ callJson, conversations: original });
    const legs = [leg('leg-a', 'chain-1'), leg('leg-b', 'chain-1', { answeredAt: '2026-01-02T09:59:00.000Z' }), leg('leg-c', null)];
    for (const l of legs) await finalize({ leg: l, manifestBlob: `eu/${TENANT}/2026/01/02/${l.callId}/manifest.json` });
    await callJson.write(`eu/${TENANT}/2026/01/02/broken/call.json`, '{"schemaVersion":1,"leg":{}}');
    await callJson.write(`eu/${TENANT}/2026/01/02/leg-a/notes.json`, '{"not":"a call"}');

    // The index is lost: a fresh database. Rebuild it from Blob alone.
    const rebuilt = new ConversationStore(cosmosClient(), uniqueName('db'), 'conversations');
    const summary = await reindexConversations({ callJson, conversations: rebuilt });
    expect(summary).toMatchObject({ scanned: 4, created: 2, updated: 1, unchanged: 0 });
    expect(summary.skipped).toHaveLength(1);
    expect(summary.skipped[0]?.blob).toBe(`eu/${TENANT}/2026/01/02/broken/call.json`);
    expect(summary.skipped[0]?.reason).toMatch(/conversationId|leg\./);

    for (const id of ['chain-1', 'leg-c']) {
      expect(await rebuilt.get(TENANT, id)).toEqual(await original.get(TENANT, id));
    }
    expect((await rebuilt.get(TENANT, 'chain-1'))?.legs.map((l) => l.callId)).toEqual(['leg-b', 'leg-a']);

    const again = await reindexConversations({ callJson, conversations: rebuilt });
    expect(again).toMatchObject({ scanned: 4, created: 0, updated: 0, unchanged: 3 });
  });

  it('parseCallJson refuses what it cannot index, with a reason', () => {
    expect(parseCallJson('not json')).toEqual({ ok: false, reason: 'not valid JSON' });
    const missingTenant = parseCallJson(JSON.stringify({ schemaVersion: 1, conversationId: 'c', manifestBlob: null, leg: { callId: 'x' } }));
    expect(missingTenant.ok).toBe(false);
    if (!missingTenant.ok) expect(missingTenant.reason).toMatch(/leg\.tenantId/);
    const good = parseCallJson(JSON.stringify({ schemaVersion: 1, conversationId: 'c', manifestBlob: null, leg: leg('x', null) }));
    expect(good.ok).toBe(true);
  });
});
