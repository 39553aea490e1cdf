// End-to-end call flow against a throwaway recorder: payload conformance with the reference's field names,
// JWT on every notification, Graph operations, users' view, call record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, p2pScenario, type Harness } from './helpers/sim-harness.js';
import { startRecorder, type TestRecorder } from './helpers/throwaway-recorder.js';

let h: Harness;
let rec: TestRecorder;

beforeAll(async () => {
  h = await startHarness();
  rec = await startRecorder({
    jwksUrl: `${h.sim.url}/aps/v1/keys`,
    ca: h.ca,
    onIncoming: (legId) => {
      void (async () => {
        await h.graph('POST', `/communications/calls/${legId}/answer`, {
          callbackUri: `${rec.url}/callback/${legId}`,
          acceptedModalities: ['audio'],
          mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: 'opaque-blob' },
          callOptions: { '@odata.type': '#microsoft.graph.incomingCallOptions', isDeltaRosterEnabled: true },
        });
      })();
    },
  });
});

afterAll(async () => {
  await h.close();
  await rec.close();
});

function notificationsFor(legId: string) {
  return rec.received.filter((r) => r.authOk).flatMap((r) => r.body.value.map((n) => ({ ...n, path: r.path, headers: r.headers, envelope: r.body })))
    .filter((n) => n.resourceUrl.startsWith(`/communications/calls/${legId}`));
}

describe('PSTN inbound 1:1 call', () => {
  it('delivers Graph-shaped, signed notifications and tracks what the user was told', async () => {
    const scenario = p2pScenario({ durationMs: 600_000 });
    const started = await h.startCall(scenario, undefined, `${rec.url}/calls`);
    const legId = started.legs[0]?.id ?? '';
    const established = await h.waitFor(started.id, (c) => c.legs[0]?.state === 'established');
    expect(established.users[0]?.call).toBe('connected');

    // updateRecordingStatus: 200 + Location + updateRecordingStatusOperation
    const op = await h.graph('POST', `/communications/calls/${legId}/updateRecordingStatus`, { clientContext: 'ctx-1', status: 'recording' });
    expect(op.status).toBe(200);
    expect(String(op.headers.location)).toMatch(new RegExp(`/v1.0/communications/calls/${legId}/operations/[0-9a-f-]+$`));
    expect(op.json()).toMatchObject({ '@odata.type': '#microsoft.graph.updateRecordingStatusOperation', clientContext: 'ctx-1', status: 'completed', resultInfo: null });
    expect((await h.graph('POST', `/communications/calls/${legId}/keepAlive`)).status).toBe(200);
    const got = await h.graph('GET', `/communications/calls/${legId}`);
    expect(got.status).toBe(200);
    expect(got.json()).toMatchObject({ id: legId, state: 'established' });
    expect((await h.call('POST', `/_sim/calls/${started.id}/end`)).status).toBe(200);

    const ended = await h.waitFor(started.id, (c) => c.state === 'ended' && c.legs[0]?.state === 'terminated' && Object.keys(c.groundTruth).length === 1);
    expect(ended.users[0]).toMatchObject({ key: 'alice', recording: 'recording', call: 'ended' });
    expect(ended.users[0]?.history.map((e) => e.status)).toEqual(['recording']);

    // The simulator marks the leg terminated as it sends the deleted notification: wait until the recorder has it.
    const until = Date.now() + 10_000;
    while (!notificationsFor(legId).some((n) => n.changeType === 'deleted') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const ns = notificationsFor(legId);
    // Every notification carried a valid JWT; none failed verification.
    expect(rec.received.every((r) => r.authOk)).toBe(true);

    // §2 incoming call: field names from the reference.
    const incoming = ns.find((n) => n.changeType === 'created');
    expect(incoming?.envelope['@odata.type']).toBe('#microsoft.graph.commsNotifications');
    expect(incoming?.path).toBe('/calls');
    expect(incoming?.headers['x-microsoft-skype-chain-id']).toBeTruthy();
    const call = incoming?.resourceData as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(call['@odata.type']).toBe('#microsoft.graph.call');
    expect(call).toMatchObject({ id: legId, state: 'incoming', direction: 'incoming', tenantId: 'aaaaaaaa-1111-2222-3333-444444444444' });
    for (const k of ['callChainId', 'myParticipantId', 'source', 'targets', 'incomingContext', 'meetingInfo', 'applicationMetadata']) expect(call).toHaveProperty(k);
    expect(call.source.identity.user.id).toBeTruthy();
    expect(call.targets[0].identity.applicationInstance.id).toBeTruthy();
    expect(call.incomingContext.observedParticipantId).toBe(call.source.id);
    expect(call.incomingContext.sourceParticipantId).toBe(call.source.id);
    const botData = call.applicationMetadata.botData;
    expect(botData.otherSideUser.id).toBe('4:+4930123456');
    expect(botData.otherSideUser.tenantId).toBe('00000000-0000-0000-0000-000000000000');
    expect(botData.user.policyHolderId).toMatch(/^8:orgid:[0-9a-f-]{36}$/);
    expect(botData.inviteReasons).toEqual(['ComplianceRecording']);
    expect(botData.policyIdentifier).toMatch(/^TeamsComplianceRecordingPolicy=Tenant:/);

    // §5 state sequence on the callbackUri; terminated arrives as changeType deleted with resultInfo.
    const states = ns.filter((n) => n.resourceUrl === `/communications/calls/${legId}`).map((n) => `${n.changeType}:${String((n.resourceData as Record<string, unknown>).state)}`);
    expect(states).toEqual(['created:incoming', 'updated:establishing', 'updated:established', 'updated:terminating', 'deleted:terminated']);
    const term = ns.find((n) => n.changeType === 'deleted');
    expect(term?.path).toBe(`/callback/${legId}`);
    expect((term?.resourceData as Record<string, any>).resultInfo).toMatchObject({ code: 200, subcode: 540000 }); // eslint-disable-line @typescript-eslint/no-explicit-any

    // §7 roster: resourceData is an array of participants with mediaStreams[].sourceId strings.
    const roster = ns.find((n) => n.resourceUrl === `/communications/calls/${legId}/participants`);
    expect(Array.isArray(roster?.resourceData)).toBe(true);
    const parts = roster?.resourceData as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(parts).toHaveLength(2);
    for (const p of parts) {
      expect(p['@odata.type']).toBe('#microsoft.graph.participant');
      expect(typeof p.mediaStreams[0].sourceId).toBe('string');
      expect(p.mediaStreams[0]).toMatchObject({ mediaType: 'audio', direction: 'sendReceive' });
      expect(p).toHaveProperty('isInLobby', false);
    }
    expect(parts.some((p) => p.info.identity.phone?.id === '+4930123456')).toBe(true);

    // After the end: GET and keepAlive are 404; the call record exists with sessions and segments.
    expect((await h.graph('GET', `/communications/calls/${legId}`)).status).toBe(404);
    expect((await h.graph('POST', `/communications/calls/${legId}/keepAlive`)).status).toBe(404);
    const record = await h.graph('GET', `/communications/callRecords/${call.callChainId}?$expand=sessions($expand=segments)`);
    expect(record.status).toBe(200);
    const body = record.json() as { type: string; sessions: { segments: unknown[] }[]; participants_v2: unknown[] };
    expect(body.type).toBe('peerToPeer');
    expect(body.sessions[0]?.segments.length).toBe(1);
    expect(body.participants_v2).toHaveLength(2);
  });
});

describe('Graph API refusals', () => {
  it('401 without or with a bad bearer token', async () => {
    const none = await h.call('POST', '/v1.0/communications/calls/x/answer', {});
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
    const bad = await h.graph('POST', '/communications/calls/x/keepAlive', undefined, 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
    expect(bad.status).toBe(401);
  });

  it('400 with a Graph-style error for bodies Graph would refuse', async () => {
    const started = await h.startCall(p2pScenario(), undefined, 'http://127.0.0.1:9/nowhere');
    const legId = started.legs[0]?.id ?? '';
    const good = { callbackUri: 'https://rec.example/cb', acceptedModalities: ['audio'], mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: 'b' } };
    const cases: [string, unknown][] = [
      ['wrong @odata.type', { ...good, mediaConfig: { '@odata.type': '#microsoft.graph.mediaConfig', blob: 'b' } }],
      ['missing callbackUri', { acceptedModalities: ['audio'], mediaConfig: good.mediaConfig }],
      ['missing mediaConfig', { callbackUri: good.callbackUri, acceptedModalities: ['audio'] }],
      ['missing acceptedModalities', { callbackUri: good.callbackUri, mediaConfig: good.mediaConfig }],
      ['unknown modality', { ...good, acceptedModalities: ['smell'] }],
    ];
    for (const [what, body] of cases) {
      const r = await h.graph('POST', `/communications/calls/${legId}/answer`, body);
      expect(r.status, what).toBe(400);
      const err = (r.json() as { error: { code: string; message: string } }).error;
      expect(err.code, what).toBeTruthy();
      expect(err.message, what).toMatch(/Invalid request body/);
    }
    const notJson = await h.graph('POST', `/communications/calls/${legId}/answer`, '{oops');
    expect(notJson.status).toBe(400);
    // The refused bodies did not change the leg: it can still be answered.
    expect((await h.graph('POST', `/communications/calls/${legId}/answer`, good)).status).toBe(202);
    const status = await h.graph('POST', `/communications/calls/${legId}/updateRecordingStatus`, { clientContext: 'c', status: 'paused' });
    expect(status.status).toBe(400);
    expect(status.text).toMatch(/status/);
    expect((await h.graph('POST', '/communications/calls/does-not-exist/keepAlive')).status).toBe(404);
    expect((await h.graph('DELETE', `/communications/calls/${legId}`)).status).toBe(204);
    await h.waitFor(started.id, (c) => c.legs[0]?.state === 'terminated');
    expect((await h.graph('GET', `/communications/calls/${legId}`)).status).toBe(404);
  });
});

describe('subscriptions', () => {
  it('validates the notificationUrl with a handshake, creates, renews and notifies new call records', async () => {
    const expiry = new Date(Date.now() + 3600_000).toISOString();
    const body = { changeType: 'created', notificationUrl: `${rec.url}/records`, resource: '/communications/callRecords', expirationDateTime: expiry, clientState: 'secret-state' };
    const refused = await h.graph('POST', '/subscriptions', { ...body, notificationUrl: `${rec.url}/records?noecho=1` });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/validation/i);
    const tooLong = await h.graph('POST', '/subscriptions', { ...body, expirationDateTime: new Date(Date.now() + 5000 * 60_000).toISOString() });
    expect(tooLong.status).toBe(400);
    const created = await h.graph('POST', '/subscriptions', body);
    expect(created.status).toBe(201);
    const sub = created.json() as { id: string; resource: string };
    expect(sub.resource).toBe('/communications/callRecords');
    const renewed = await h.graph('PATCH', `/subscriptions/${sub.id}`, { expirationDateTime: new Date(Date.now() + 7200_000).toISOString() });
    expect(renewed.status).toBe(200);
    const started = await h.startCall(p2pScenario({ durationMs: 200 }), undefined, 'http://127.0.0.1:9/nowhere');
    await h.waitFor(started.id, (c) => c.state === 'ended');
    const deadline = Date.now() + 10_000;
    let note: Record<string, unknown> | undefined;
    while (!note && Date.now() < deadline) {
      note = rec.records.flatMap((r) => (r as { value: Record<string, unknown>[] }).value).find((v) => String(v.resource).endsWith(started.id));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(note).toMatchObject({ subscriptionId: sub.id, clientState: 'secret-state', changeType: 'created', resource: `communications/callRecords/${started.id}` });
    expect((await h.graph('DELETE', `/subscriptions/${sub.id}`)).status).toBe(204);
  });
});
