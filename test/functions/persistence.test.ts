// The finalize path's adapters against the run's real Azurite and cosmosdb-server: call.json (conditional create,
// ETag replace) and the conversation item (create-or-conflict, ETag merge of legs, idempotent reruns).
import { describe, expect, it } from 'vitest';
import { CallJsonWriter } from '../../functions/adapters/blob.js';
import { ConversationStore } from '../../functions/adapters/cosmos.js';
import { createFinalizeCall, callJsonBlobName } from '../../functions/activities/finalize-call.js';
import type { LegRecord } from '../../functions/domain/call-document.js';
import { blobServiceClient, cosmosClient } from '../helpers/clients.js';
import { uniqueName } from '../helpers/stack-env.js';

const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';

function leg(callId: string, over: Partial<LegRecord> = {}): LegRecord {
  return {
    callId, tenantId: TENANT, callChainId: 'Chain-Xyz', direction: 'incoming',
    recordedUser: { userId: 'u1' }, otherSide: { phoneNumber: '+4930123456' }, workerId: 'w1', sessionId: `s-${callId}`,
    answeredAt: '2026-01-02T10:00:00.000Z', establishedAt: '2026-01-02T10:00:01.000Z', endedAt: '2026-01-02T10:05:00.000Z',
    lifecycle: 'finalized', recordingStatus: 'recording', terminatedReason: { code: 200, subcode: 4097 }, failureReason: null,
    policy: { source: 'default', region: 'eu', retentionClass: 'standard', resiliency: 'failOpen', record: true },
    participants: [], speakerMap: {}, integrity: 'sealed', seal: null, customData: {}, ...over,
  };
}

describe('ConversationStore on cosmosdb-server', () => {
  it('creates, merges legs by call chain, and is idempotent', async () => {
    const store = new ConversationStore(cosmosClient(), uniqueName('db'), 'conversations');
    const a = await store.putLeg(leg('leg-a'));
    expect(a.outcome).toBe('created');
    expect(a.document.id).toBe('chain-xyz');
    expect((await store.putLeg(leg('leg-a'))).outcome).toBe('unchanged');
    const b = await store.putLeg(leg('leg-b', { integrity: 'incomplete', answeredAt: '2026-01-02T09:59:59.000Z' }));
    expect(b.outcome).toBe('updated');
    const doc = await store.get(TENANT, 'chain-xyz');
    expect(doc?.legs.map((l) => l.callId)).toEqual(['leg-b', 'leg-a']);
    expect(doc?.integrity).toBe('incomplete');
    expect(doc?.startedAt).toBe('2026-01-02T09:59:59.000Z');
    expect(doc).not.toHaveProperty('_etag');
  });

  it('loses no leg when legs of one conversation are finalized concurrently (ETag retry)', async () => {
    const store = new ConversationStore(cosmosClient(), uniqueName('db'), 'conversations');
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    await Promise.all(ids.map((id) => store.putLeg(leg(id, { callChainId: 'busy-chain' }))));
    const doc = await store.get(TENANT, 'busy-chain');
    expect(doc?.legs.map((l) => l.callId).sort()).toEqual(ids);
  });
});

describe('CallJsonWriter on Azurite', () => {
  it('creates once, leaves an equal blob alone, replaces a different one with its ETag', async () => {
    const w = new CallJsonWriter(blobServiceClient(), uniqueName('calls'));
    expect(await w.write('eu/t/call.json', '{"a":1}')).toBe('created');
    expect(await w.write('eu/t/call.json', '{"a":1}')).toBe('unchanged');
    expect(await w.write('eu/t/call.json', '{"a":2}')).toBe('updated');
    expect(await w.read('eu/t/call.json')).toBe('{"a":2}');
    expect(await w.read('eu/t/none.json')).toBeNull();
  });
});

describe('finalizeCall activity', () => {
  it('writes call.json next to the manifest, then the Cosmos item; a rerun changes nothing', async () => {
    const container = uniqueName('calls');
    const callJson = new CallJsonWriter(blobServiceClient(), container);
    const conversations = new ConversationStore(cosmosClient(), uniqueName('db'), 'conversations');
    const finalize = createFinalizeCall({ callJson, conversations });
    const l = leg('leg-z', { callChainId: null });
    const manifest = 'eu/aaaaaaaa-1111-2222-3333-444444444444/2026/01/02/leg-z/manifest.json';
    const first = await finalize({ leg: l, manifestBlob: manifest });
    expect(first).toMatchObject({ outcome: 'persisted', conversationId: 'leg-z', callJsonBlob: manifest.replace('manifest.json', 'call.json'), blob: 'created', cosmos: 'created' });
    const again = await finalize({ leg: l, manifestBlob: manifest });
    expect(again).toMatchObject({ blob: 'unchanged', cosmos: 'unchanged' });
    const stored = JSON.parse((await callJson.read(first.callJsonBlob)) ?? '{}') as { leg: LegRecord; conversationId: string };
    expect(stored.leg).toEqual(l);
    expect(callJsonBlobName(l, null)).toBe(`eu/${TENANT}/2026/01/02/leg-z/call.json`);
  });
});
