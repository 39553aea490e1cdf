// Requests signed by the test itself (the app trusts this test's JWKS instead of the simulator's), against the real
// local host + app + media-worker + simulator (Graph API): early notifications are not lost, a failed answer is
// recorded, bad bodies get 400 with a reason, and the media-events endpoint checks its key and body.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingParts, startRecorderStack, WORKER_ID, type RecorderStack } from './helpers/recorder-stack.js';

const missing = missingParts();
let stack: RecorderStack;
let jwksServer: Server;
let privateKey: CryptoKey;

beforeAll(async () => {
  if (missing.length > 0) return;
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((req, res) => {
    const base = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/keys' ? { keys: [jwk] } : { issuer: 'https://api.botframework.com', jwks_uri: `${base}/keys` }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', () => r()));
  const openId = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/openid`;
  stack = await startRecorderStack({ notificationOpenIdUrl: openId, settings: { RECORDER_ANSWER_WAIT_TIMEOUT_MS: '60000' } });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => (jwksServer ? jwksServer.close(() => r()) : r()));
});

async function post(url: string, body: unknown, tid = stack.tenantId): Promise<{ status: number; body: { error?: string; reason?: string } | null }> {
  const token = await new SignJWT({ tid })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-1', typ: 'JWT' })
    .setIssuer('https://graph.microsoft.com').setAudience(stack.botAppId).setIssuedAt().setExpirationTime('5m')
    .sign(privateKey);
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as { error?: string; reason?: string }) : null };
}

const envelope = (...value: unknown[]) => ({ '@odata.type': '#microsoft.graph.commsNotifications', value });

describe.skipIf(missing.length > 0)('signed requests', () => {
  it('keeps a notification that arrives before the incoming call, and records the failed answer', async () => {
    const callId = randomUUID();
    const early = await post(stack.notificationUrl, envelope({ changeType: 'updated', resourceUrl: `/communications/calls/${callId}`, resourceData: { state: 'establishing' } }));
    expect(early.status).toBe(202);
    const waiting = await stack.waitForOrchestration(callId, (s) => s.runtimeStatus === 'Running', 30_000);
    expect(waiting.runtimeStatus).toBe('Running');

    // The simulator does not know this call, so Graph's answer fails: the failure must be recorded, not lost.
    const incoming = await post(stack.notificationUrl, envelope({
      changeType: 'created', resourceUrl: `/communications/calls/${callId}`,
      resourceData: { '@odata.type': '#microsoft.graph.call', id: callId, state: 'incoming', direction: 'incoming', callChainId: randomUUID(), tenantId: stack.tenantId,
        source: { id: 'p1', identity: { user: { id: randomUUID() } } }, incomingContext: { observedParticipantId: 'p1' } },
    }));
    expect(incoming.status).toBe(202);
    const done = await stack.waitForOrchestration(callId, (s) => s.runtimeStatus !== 'Running' && s.runtimeStatus !== 'Pending', 60_000);
    expect(done.runtimeStatus).toBe('Completed');
    const out = done.output as { lifecycle: string; conversationId: string; failureReason: string };
    expect(out.lifecycle).toBe('failed');
    expect(out.failureReason).toMatch(/answer failed/i);
    const doc = await stack.conversation(out.conversationId);
    expect((doc?.legs as { callId: string; lifecycle: string }[]).find((l) => l.callId === callId)?.lifecycle).toBe('failed');
  });

  it('answers 400 with a reason to bodies that are not valid notifications, and starts nothing', async () => {
    const callId = randomUUID();
    const notJson = await post(stack.notificationUrl, '{nope');
    expect(notJson).toMatchObject({ status: 400, body: { error: 'badRequest' } });
    const wrongShape = await post(stack.notificationUrl, envelope({ changeType: 'exploded', resourceUrl: `/communications/calls/${callId}` }));
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body?.reason).toMatch(/changeType/);
    const badRoster = await post(stack.notificationUrl, envelope({ changeType: 'updated', resourceUrl: `/communications/calls/${callId}/participants`, resourceData: [{ noId: 1 }] }));
    expect(badRoster.status).toBe(400);
    const otherCall = await post(`${stack.host.url}/api/calling/notifications/${WORKER_ID}/${randomUUID()}`, envelope({ changeType: 'updated', resourceUrl: `/communications/calls/${callId}`, resourceData: { state: 'established' } }));
    expect(otherCall.status).toBe(400);
    const foreignTenant = await post(stack.notificationUrl, envelope({ changeType: 'updated', resourceUrl: `/communications/calls/${callId}`, resourceData: { state: 'established' } }), randomUUID());
    expect(foreignTenant.status).toBe(401);
    expect(await stack.orchestrationStatus(callId)).toBeNull();
  });

  it('checks the media-events key and body', async () => {
    const url = `${stack.host.url}/api/media-events`;
    const event = { callId: randomUUID(), sessionId: 's', workerId: WORKER_ID, type: 'heartbeat', at: new Date().toISOString(), eventId: 'e1', streams: 0, framesReceived: 0, bufferedBytes: 0 };
    const send = (body: unknown, key?: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'x-worker-key': key } : {}) }, body: JSON.stringify(body) });
    expect((await send(event)).status).toBe(401);
    expect((await send(event, 'wrong-key')).status).toBe(401);
    expect((await send({ ...event, type: 'bogus' }, stack.workerKey)).status).toBe(400);
    expect((await send({ ...event, workerId: 'intruder' }, stack.workerKey)).status).toBe(403);
    expect(await stack.orchestrationStatus(event.callId)).toBeNull();
  });
});
