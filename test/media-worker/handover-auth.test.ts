// Adoption is by ticket only: a forged or expired ticket on another worker of the pool is `ERROR authFailed` and
// nothing is stored; a valid one is adopted with a closed gate (no byte before that worker's own grant).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLocalMediaConfig, parseBridgeAddress } from '../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { ReferenceBridgeClient } from '../../media-worker/src/bridge/reference-bridge-client.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import type { WorkerConfig } from '../../media-worker/src/config.js';
import { deriveTicketKey, issueTicket, verifyTicket } from '../../media-worker/src/session/session-ticket.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { uniqueName } from '../helpers/stack-env.js';
import { SHARED_KEY, api, frame, startTestWorker, waitFor } from './helpers/worker-harness.js';

let a: RunningWorker;
let b: RunningWorker;
let config: WorkerConfig;

beforeAll(async () => {
  const container = uniqueName('handauth');
  const wa = await startTestWorker({ MEDIA_WORKER_ID: 'w-a', RECORDINGS_CONTAINER: container });
  const wb = await startTestWorker({ MEDIA_WORKER_ID: 'w-b', RECORDINGS_CONTAINER: container });
  a = wa.worker;
  b = wb.worker;
  config = wb.config;
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

async function reserveOnA(): Promise<{ callId: string; sessionId: string; token: string }> {
  const callId = uniqueName('call');
  const res = await api(a.controlUrl, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
  const cfg = decodeLocalMediaConfig(ReserveSessionResponseSchema.parse(res.json).mediaConfig.blob);
  return { callId, sessionId: cfg.sessionId, token: cfg.token };
}

async function storedFor(callId: string): Promise<string[]> {
  const store = await createObjectStore(config);
  const out: string[] = [];
  for await (const o of store.list('')) if (o.name.includes(`/${callId}/`)) out.push(o.name);
  return out;
}

function clientOnB(s: { callId: string; sessionId: string }, token: string): ReferenceBridgeClient {
  const { host, port } = parseBridgeAddress(b.bridgeUrl);
  return new ReferenceBridgeClient({ host, port, sessionId: s.sessionId, token, callId: s.callId });
}

describe('handover: tickets on another worker', () => {
  it('a forged ticket (another key, or a changed descriptor) → authFailed, no session, nothing stored', async () => {
    const s = await reserveOnA();
    const check = verifyTicket(s.token, deriveTicketKey(SHARED_KEY), new Date());
    if (!check.ok) throw new Error(check.reason);
    const otherKey = issueTicket(check.descriptor, deriveTicketKey('not-the-pool-key-0123'));
    const c1 = clientOnB(s, otherKey);
    await expect(c1.connect()).rejects.toThrow(/authFailed/);
    const [p, , mac] = s.token.split('.');
    const changed = `${p}.${Buffer.from(JSON.stringify({ ...check.descriptor, tenantId: 'tenant-2' })).toString('base64url')}.${mac}`;
    const c2 = clientOnB(s, changed);
    await expect(c2.connect()).rejects.toThrow(/authFailed/);
    expect(b.registry.get(s.sessionId)).toBeUndefined();
    expect(await storedFor(s.callId)).toEqual([]);
  });

  it('an expired ticket → authFailed, nothing stored', async () => {
    const s = await reserveOnA();
    const check = verifyTicket(s.token, deriveTicketKey(SHARED_KEY), new Date());
    if (!check.ok) throw new Error(check.reason);
    const past = new Date(Date.now() - 1000).toISOString();
    const expired = issueTicket({ ...check.descriptor, expiresAt: past }, deriveTicketKey(SHARED_KEY));
    const c = clientOnB(s, expired);
    await expect(c.connect()).rejects.toThrow(/authFailed/);
    expect(c.errors[0]).toMatchObject({ code: 'authFailed', fatal: true, message: 'ticket expired' });
    expect(b.registry.get(s.sessionId)).toBeUndefined();
    expect(await storedFor(s.callId)).toEqual([]);
  });

  it('a valid ticket is adopted with the gate closed: nothing stored or acked on B before its own grant', async () => {
    const s = await reserveOnA();
    const c = clientOnB(s, s.token);
    const welcome = await c.connect();
    expect(welcome.durable).toEqual([]);
    const adopted = b.registry.get(s.sessionId);
    expect(adopted?.record.adopted?.issuer).toBe('w-a');
    expect(adopted?.gate.state).toBe('pending');
    c.startStream(0, 'mixed');
    for (let seq = 1; seq <= 30; seq++) await c.send('mixed', frame('mixed', seq));
    await waitFor(() => (adopted?.framesReceived ?? 0) === 30, 10_000, 'frames on B');
    expect(c.ackedSeq('mixed')).toBe(0);
    expect(await storedFor(s.callId)).toEqual([]);
    await api(b.controlUrl, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' });
    await waitFor(() => c.ackedSeq('mixed') >= 30, 20_000, 'acks after the grant');
    expect((await storedFor(s.callId)).length).toBeGreaterThan(0);
    c.close();
  });
});
