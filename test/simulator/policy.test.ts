// Teams policy behaviour: resiliency flags (fail-closed / fail-open), paired recorders, the keepAlive watchdog on the
// scalable clock, a refused status update. Pure decisions first, then through the running simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideDrop, decideSetup, invitesPerUser } from '../../simulator/src/teams/policy.js';
import { policySchema } from '../../simulator/src/teams/scenario.js';
import { startHarness, p2pScenario, type Harness } from './helpers/sim-harness.js';
import type { TestRecorder } from './helpers/throwaway-recorder.js';
import { answeringRecorder } from './helpers/answering-recorder.js';

const failClosed = policySchema.parse({});
const failOpen = policySchema.parse({ requiredBeforeCallEstablishment: false, requiredDuringCall: false, requiredBeforeMeetingJoin: false, requiredDuringMeeting: false });

describe('policy decisions (pure)', () => {
  it('setup: success if one invite was accepted; otherwise the flag decides', () => {
    expect(decideSetup(failClosed, 'p2p', [{ invitation: 1, outcome: undefined }])).toBe('waiting');
    expect(decideSetup(failClosed, 'p2p', [{ invitation: 1, outcome: 'timeout' }, { invitation: 2, outcome: 'answered' }])).toBe('connected');
    expect(decideSetup(failClosed, 'p2p', [{ invitation: 1, outcome: 'timeout' }])).toBe('blocked');
    expect(decideSetup(failOpen, 'p2p', [{ invitation: 1, outcome: 'rejected' }])).toBe('connectedUnrecorded');
    expect(decideSetup(policySchema.parse({ requiredBeforeMeetingJoin: false }), 'meeting', [{ invitation: 1, outcome: 'timeout' }])).toBe('connectedUnrecorded');
    // Extra short-lived legs (invitation 0) never count.
    expect(decideSetup(failClosed, 'p2p', [{ invitation: 0, outcome: 'answered' }, { invitation: 1, outcome: 'timeout' }])).toBe('blocked');
  });

  it('drop: a surviving peer keeps the user recorded; otherwise eject or continue', () => {
    const down = { invitation: 1 as const, outcome: 'answered' as const, state: 'terminated' as const };
    const up = { invitation: 2 as const, outcome: 'answered' as const, state: 'established' as const };
    expect(decideDrop(failClosed, 'p2p', [down, up])).toBe('stillRecorded');
    expect(decideDrop(failClosed, 'p2p', [down])).toBe('eject');
    expect(decideDrop(failOpen, 'meeting', [down])).toBe('continueUnrecorded');
    expect(invitesPerUser(policySchema.parse({ concurrentInvitationCount: 2 }))).toBe(2);
    expect(invitesPerUser(policySchema.parse({ pairedApplication: true }))).toBe(2);
    expect(invitesPerUser(failClosed)).toBe(1);
  });
});

let h: Harness;
let rec: TestRecorder;

beforeAll(async () => {
  h = await startHarness({ answerDeadlineMs: 2000 });
  rec = await answeringRecorder(h, { reportRecording: true });
});
afterAll(async () => {
  await h.close();
  await rec.close();
});

describe('policy behaviour in the simulator', () => {
  it('no answer + fail-open: the user talks unrecorded; fail-closed: the call is blocked', async () => {
    const open = await h.startCall(p2pScenario({ policy: { requiredBeforeCallEstablishment: false, requiredDuringCall: false } }), undefined, 'http://127.0.0.1:9/nobody');
    const closed = await h.startCall(p2pScenario(), undefined, 'http://127.0.0.1:9/nobody');
    const o = await h.waitFor(open.id, (c) => c.users[0]?.call !== 'pending');
    const c = await h.waitFor(closed.id, (x) => x.state === 'ended');
    expect(o.users[0]).toMatchObject({ call: 'connected', recording: 'none' });
    expect(o.state).toBe('active');
    expect(c.users[0]?.call).toBe('blocked');
  });

  it('reject: 202, and the fail-closed policy blocks the call; a second reject is refused', async () => {
    const started = await h.startCall(p2pScenario(), undefined, 'http://127.0.0.1:9/nobody');
    const legId = started.legs[0]?.id ?? '';
    expect((await h.graph('POST', `/communications/calls/${legId}/reject`, { reason: 'Busy' })).status).toBe(202);
    const state = await h.waitFor(started.id, (c) => c.state === 'ended');
    expect(state.legs[0]?.outcome).toBe('rejected');
    expect(state.users[0]?.call).toBe('blocked');
    expect((await h.graph('POST', `/communications/calls/${legId}/reject`, { reason: 'busy' })).status).toBe(400);
    expect((await h.graph('POST', `/communications/calls/${legId}/reject`, { reason: 'sleepy' })).status).toBe(400);
  });

  it('ConcurrentInvitationCount 2: two invites, the user is recorded while one leg stays up', async () => {
    const started = await h.startCall(p2pScenario({ policy: { concurrentInvitationCount: 2 } }), undefined, `${rec.url}/calls`);
    expect(started.legs).toHaveLength(2);
    const both = await h.waitFor(started.id, (c) => c.legs.every((l) => l.recordingStatus === 'recording'));
    expect(both.users[0]?.recording).toBe('recording');
    // The recorder hangs up one leg: the other keeps the user in the call.
    expect((await h.graph('DELETE', `/communications/calls/${started.legs[0]?.id ?? ''}`)).status).toBe(204);
    const after = await h.waitFor(started.id, (c) => c.legs[0]?.state === 'terminated');
    expect(after.users[0]?.call).toBe('connected');
    expect(after.timeline.some((e) => e.type === 'recorderDropped' && e.detail?.decision === 'stillRecorded')).toBe(true);
    // Then the second: fail-closed ejects the user and ends the 1:1 call.
    await h.graph('DELETE', `/communications/calls/${started.legs[1]?.id ?? ''}`);
    const ended = await h.waitFor(started.id, (c) => c.state === 'ended');
    expect(ended.users[0]?.call).toBe('ejected');
  });

  it('paired application: the invite names the paired recorder', async () => {
    const started = await h.startCall(p2pScenario({ policy: { pairedApplication: true } }), undefined, `${rec.url}/calls`);
    await h.waitFor(started.id, (c) => c.legs.every((l) => l.state === 'established'));
    const invites = rec.received.flatMap((r) => r.body.value).filter((n) => n.changeType === 'created' && started.legs.some((l) => n.resourceUrl.endsWith(l.id)));
    expect(invites).toHaveLength(2);
    const datas = invites.map((n) => (n.resourceData as Record<string, any>).applicationMetadata.botData); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const d of datas) expect(d.pairedRecorders).toHaveLength(1);
    await h.call('POST', `/_sim/calls/${started.id}/end`);
  });

  it('keepAlive: 45 simulated minutes without one ends the call with 408/8537 (clock advanced, no waiting)', async () => {
    const started = await h.startCall(p2pScenario({ durationMs: 4 * 3600_000 }), undefined, `${rec.url}/calls`);
    const legId = started.legs[0]?.id ?? '';
    await h.waitFor(started.id, (c) => c.legs[0]?.state === 'established');
    await h.call('POST', '/_sim/clock', { advanceMs: 30 * 60_000 });
    expect((await h.graph('POST', `/communications/calls/${legId}/keepAlive`)).status).toBe(200);
    await h.call('POST', '/_sim/clock', { advanceMs: 30 * 60_000 });
    expect((await h.getCall(started.id)).legs[0]?.state).toBe('established');
    await h.call('POST', '/_sim/clock', { advanceMs: 16 * 60_000 });
    const ended = await h.waitFor(started.id, (c) => c.legs[0]?.state === 'terminated');
    expect(ended.legs[0]?.resultInfo).toMatchObject({ code: 408, subcode: 8537 });
    expect(ended.users[0]?.call).toBe('ejected');
    expect((await h.graph('POST', `/communications/calls/${legId}/keepAlive`)).status).toBe(404);
  });

  it('status update refused: 403 with a Graph error, and users are not told "recording"', async () => {
    const started = await h.startCall(p2pScenario({ faults: { refuseStatusUpdate: true } }), undefined, `${rec.url}/calls`);
    const legId = started.legs[0]?.id ?? '';
    await h.waitFor(started.id, (c) => c.legs[0]?.state === 'established');
    const r = await h.graph('POST', `/communications/calls/${legId}/updateRecordingStatus`, { clientContext: 'x', status: 'recording' });
    expect(r.status).toBe(403);
    expect(r.json()).toMatchObject({ error: { code: '8506' } });
    expect((await h.getCall(started.id)).users[0]?.recording).toBe('none');
    await h.call('POST', `/_sim/calls/${started.id}/end`);
  });

  it('async operations: running first, then operation notifications updated and deleted', async () => {
    const started = await h.startCall(p2pScenario({ faults: { asyncOperations: true } }), undefined, `${rec.url}/calls`);
    const legId = started.legs[0]?.id ?? '';
    const state = await h.waitFor(started.id, (c) => c.users[0]?.recording === 'recording');
    expect(state.legs[0]?.recordingStatus).toBe('recording');
    const ops = () => rec.received.flatMap((r) => r.body.value).filter((n) => n.resourceUrl.startsWith(`/communications/calls/${legId}/operations/`));
    const until = Date.now() + 5000;
    while (ops().length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(ops().map((n) => n.changeType)).toEqual(['updated', 'deleted']);
    expect((ops()[0]?.resourceData as Record<string, unknown>).status).toBe('completed');
    await h.call('POST', `/_sim/calls/${started.id}/end`);
  });
});
