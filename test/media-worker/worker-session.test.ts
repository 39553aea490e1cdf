// The worker in-process against the run's Azurite (and cosmosdb-server): gate, acks, seal, verify, auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosmosRecordingsStore } from '../../media-worker/src/metadata/recordings-store.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import type { ObjectStore } from '../../media-worker/src/storage/object-store.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import type { WorkerConfig } from '../../media-worker/src/config.js';
import { cosmosClient } from '../helpers/clients.js';
import { uniqueName } from '../helpers/stack-env.js';
import { api, expectedSha, reserveAndConnect, sendFrames, startTestWorker, waitFor } from './helpers/worker-harness.js';

let worker: RunningWorker;
let config: WorkerConfig;
let store: ObjectStore;
let recordings: CosmosRecordingsStore;

async function storedNames(callId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list('')) if (o.name.includes(`/${callId}/`)) out.push(o.name);
  return out;
}

beforeAll(async () => {
  const { database } = await cosmosClient().databases.createIfNotExists({ id: uniqueName('db') });
  const { container } = await database.containers.createIfNotExists({ id: 'recordings', partitionKey: { paths: ['/tenantId'] } });
  recordings = new CosmosRecordingsStore(container);
  ({ worker, config } = await startTestWorker({}, { recordings }));
  store = await createObjectStore(config);
});

afterAll(async () => {
  await worker?.close();
});

describe('media-worker session lifecycle', () => {
  it('persists nothing before the grant, then stores, acks, seals and verifies the exact stream', async () => {
    const s = await reserveAndConnect(worker.controlUrl);
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 25);
    const session = worker.registry.get(s.sessionId);
    await waitFor(() => (session?.framesReceived ?? 0) === 25, 10_000, 'frames received');
    expect(await storedNames(s.callId)).toEqual([]);
    expect(s.client.acksReceived).toBe(0);

    const granted = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted', clientContext: 'ctx-1' });
    expect(granted.status).toBe(200);
    await s.client.waitAcked('mixed', 20, 20_000);
    expect((await storedNames(s.callId)).length).toBe(2);

    await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/roster`, { participants: [{ participantId: 'p-1', sourceIds: ['1'], displayName: 'Alice' }] });
    await sendFrames(s.client, 'mixed', 26, 35);
    s.client.endStream('mixed');
    await s.client.waitAcked('mixed', 35, 20_000);
    expect(s.client.unackedCount('mixed')).toBe(0);

    const sealed = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.status).toBe(200);
    expect(sealed.json).toMatchObject({ state: 'sealed', nothingRecorded: false, streams: [{ streamId: 'mixed', chunks: 4, frames: 35 }] });
    const again = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(again.json).toEqual(sealed.json);

    const verifier = await Ed25519FileSigner.fromFile(config.signingKeyFile, { createIfMissing: false });
    const verdict = await verifyRecording({ callId: s.callId }, { store, verifier, recordings });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.signature).toBe('valid');
    expect(verdict.streams).toEqual([expect.objectContaining({ streamId: 'mixed', frames: 35, sha256: expectedSha('mixed', 1, 35) })]);

    const item = await recordings.findByCallId(s.callId);
    expect(item).toMatchObject({ callId: s.callId, chunkCount: 4, integrity: 'sealed' });
    expect(await recordings.create(item!)).toBe('existed');

    // Tamper with chunk 2: verify fails and names it.
    const chunk2 = (await storedNames(s.callId)).find((n) => n.endsWith('/00000002.pcm'))!;
    const original = (await store.get(chunk2))!.data;
    const tampered = Buffer.from(original);
    tampered[100] = (tampered[100]! + 1) & 0xff;
    await store.overwriteForTest!(chunk2, tampered);
    const bad = await verifyRecording({ callId: s.callId }, { store, verifier, recordings });
    expect(bad.ok).toBe(false);
    expect(bad.firstBadChunk).toMatchObject({ streamId: 'mixed', index: 2, name: chunk2, reason: expect.stringMatching(/SHA-256/) });
    s.client.close();
  });

  it('persists nothing after a revoke and tells the bridge to stop', async () => {
    const s = await reserveAndConnect(worker.controlUrl);
    await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' });
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 20);
    await s.client.waitAcked('mixed', 20, 20_000);
    expect((await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'revoked' })).status).toBe(200);
    await sendFrames(s.client, 'mixed', 21, 45);
    const session = worker.registry.get(s.sessionId);
    await waitFor(() => (session?.framesReceived ?? 0) === 45, 10_000, 'frames received');
    await waitFor(() => s.client.goodbyes.some((g) => g.reason === 'recordingStopped'), 10_000, 'goodbye');
    const sealed = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.json).toMatchObject({ streams: [{ streamId: 'mixed', frames: 20, chunks: 2 }] });
    expect((await storedNames(s.callId)).filter((n) => n.endsWith('.pcm')).length).toBe(2);
    expect(s.client.ackedSeq('mixed')).toBe(20);
    s.client.close();
  });

  it('stores nothing and writes no manifest when the grant never comes', async () => {
    const s = await reserveAndConnect(worker.controlUrl);
    s.client.startStream(0, 'mixed');
    await sendFrames(s.client, 'mixed', 1, 30);
    const session = worker.registry.get(s.sessionId);
    await waitFor(() => (session?.framesReceived ?? 0) === 30, 10_000, 'frames received');
    const sealed = await api(worker.controlUrl, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.json).toMatchObject({ nothingRecorded: true, manifestBlob: null });
    expect(await storedNames(s.callId)).toEqual([]);
    expect(await recordings.findByCallId(s.callId)).toBeUndefined();
    s.client.close();
  });

  it('rejects a forged bridge token and stores nothing', async () => {
    const s = await reserveAndConnect(worker.controlUrl, undefined, false);
    const { ReferenceBridgeClient } = await import('../../media-worker/src/bridge/reference-bridge-client.js');
    const forged = new ReferenceBridgeClient({ host: s.host, port: s.port, sessionId: s.sessionId, token: s.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), callId: s.callId });
    await expect(forged.connect()).rejects.toThrow(/authFailed/);
    expect(forged.errors[0]).toMatchObject({ code: 'authFailed', fatal: true });
    const wrongCall = new ReferenceBridgeClient({ host: s.host, port: s.port, sessionId: s.sessionId, token: s.token, callId: 'other-call' });
    await expect(wrongCall.connect()).rejects.toThrow(/authFailed/);
    const unknown = new ReferenceBridgeClient({ host: s.host, port: s.port, sessionId: 'nope', token: s.token, callId: s.callId });
    await expect(unknown.connect()).rejects.toThrow(/unknownSession/);
    expect(await storedNames(s.callId)).toEqual([]);
  });

  it('answers bad control requests with 4xx and a reason; reserve is idempotent per call', async () => {
    expect((await api(worker.controlUrl, 'GET', '/load', undefined, 'wrong-key')).status).toBe(401);
    const bad = await api(worker.controlUrl, 'POST', '/sessions', { callId: 'a/b', tenantId: 't' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'badRequest', reason: expect.stringMatching(/callId|callChainId/) });
    expect((await api(worker.controlUrl, 'POST', '/sessions/nope/recording', { status: 'granted' })).status).toBe(404);
    const body = { callId: uniqueName('c'), callChainId: 'chain', tenantId: 't1', region: 'emea' };
    const first = await api(worker.controlUrl, 'POST', '/sessions', body);
    const second = await api(worker.controlUrl, 'POST', '/sessions', body);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.json).toEqual(first.json);
    const s = (first.json as { sessionId: string }).sessionId;
    expect((await api(worker.controlUrl, 'POST', `/sessions/${s}/recording`, { status: 'maybe' })).status).toBe(400);
    const load = await api(worker.controlUrl, 'GET', '/load');
    expect(load.json).toMatchObject({ workerId: 'w-test', calls: expect.any(Number), bufferedBytes: expect.any(Number) });
  });
});
