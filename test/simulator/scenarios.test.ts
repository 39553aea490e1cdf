// Scenario files parse; the behaviour-heavy ones run through the simulator against an answering recorder; the load
// runner summarises a small run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listScenarios, loadScenario } from '../../simulator/src/teams/scenario-files.js';
import { parseScenario } from '../../simulator/src/teams/scenario.js';
import { SimClient } from '../../simulator/src/cli/sim-client.js';
import { runLoad } from '../../simulator/src/load/load-runner.js';
import { summarize, percentile } from '../../simulator/src/load/summary.js';
import { startHarness, type Harness } from './helpers/sim-harness.js';
import type { TestRecorder } from './helpers/throwaway-recorder.js';
import { answeringRecorder } from './helpers/answering-recorder.js';

let h: Harness;
let rec: TestRecorder;

beforeAll(async () => {
  h = await startHarness({}, {});
  rec = await answeringRecorder(h, { reportRecording: true });
});
afterAll(async () => {
  await h.close();
  await rec.close();
});

type N = { changeType: string; resourceUrl: string; resourceData: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const notes = (): N[] => rec.received.filter((r) => r.authOk).flatMap((r) => r.body.value as N[]);

describe('scenario files', () => {
  it('every file parses, and the ones the brief names exist', async () => {
    const names = await listScenarios();
    for (const n of ['pstn-inbound', 'pstn-outbound', 'voip-inbound', 'voip-outbound', 'group-call', 'meeting', 'transfer', 'hold-resume', 'paired-recorders', 'long-call', 'business-data', 'no-answer', 'status-refused', 'worker-killed']) {
      expect(names).toContain(n);
    }
    for (const n of names) await expect(loadScenario(n), n).resolves.toBeTruthy();
  });

  it('refuses broken scenarios with a reason', () => {
    expect(() => parseScenario({ name: 'x', kind: 'p2p', participants: [{ key: 'a' }, { key: 'b' }] })).toThrow(/recorded/);
    expect(() => parseScenario({ name: 'x', kind: 'p2p', participants: [{ key: 'a', recorded: true }, { key: 'b' }, { key: 'c' }] })).toThrow(/two participants/);
    expect(() => parseScenario({ name: 'x', kind: 'group', participants: [{ key: 'a', recorded: true }], events: [{ atMs: 1, type: 'leave', participant: 'zz' }] })).toThrow(/unknown participant/);
  });

  it('the control API answers 400 for an unknown scenario', async () => {
    const r = await h.call('POST', '/_sim/calls', { scenario: 'no-such-thing' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/unknown scenario/);
  });
});

describe('scenarios through the simulator', () => {
  // Scenario times run on the simulated clock: ×5 keeps these tests short (the answer deadline stays real time).
  beforeAll(async () => void (await h.call('POST', '/_sim/clock', { scale: 5 })));
  afterAll(async () => void (await h.call('POST', '/_sim/clock', { scale: 1 })));
  const run = async (name: string) => {
    const base = await loadScenario(name);
    const started = await h.startCall({ ...base, notificationUrl: `${rec.url}/calls`, media: { enabled: false } });
    return h.waitFor(started.id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length === c.legs.length, 30_000);
  };

  it('transfer: the new invite names the transferor; the old leg ends 200/7015', async () => {
    const done = await run('transfer');
    expect(done.legs).toHaveLength(2);
    expect(done.legs[0]?.resultInfo).toMatchObject({ code: 200, subcode: 7015 });
    const second = notes().find((n) => n.changeType === 'created' && n.resourceData.id === done.legs[1]?.id);
    expect(second?.resourceData.incomingContext.transferor.user.id).toBeTruthy();
    expect(done.users.find((u) => u.key === 'desk')?.recording).toBe('recording');
  });

  it('meeting: one invite per recorded user (one joins late), roster updates on joins and leaves', async () => {
    const done = await run('meeting');
    expect(done.legs).toHaveLength(2);
    const first = notes().find((n) => n.changeType === 'created' && n.resourceData.id === done.legs[0]?.id);
    expect(first?.resourceData.chatInfo.threadId).toMatch(/^19:meeting_/);
    expect(first?.resourceData.applicationMetadata.botData.otherSideUser).toBeUndefined();
    const rosters = notes().filter((n) => n.resourceUrl === `/communications/calls/${done.legs[0]?.id ?? ''}/participants`);
    const sizes = rosters.map((r) => (r.resourceData as unknown[]).length);
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.at(-1)).toBe(3);
    expect(done.users.every((u) => u.recording === 'recording')).toBe(true);
  });

  it('hold/resume: the held party media stream goes inactive, then back to sendReceive', async () => {
    const done = await run('hold-resume');
    const rosters = notes().filter((n) => n.resourceUrl === `/communications/calls/${done.legs[0]?.id ?? ''}/participants`);
    const dirs = rosters.map((r) => (r.resourceData as { info: { identity: { phone?: unknown } }; mediaStreams: { direction: string }[] }[]).find((p) => p.info.identity.phone)?.mediaStreams[0]?.direction);
    expect(dirs).toEqual(['sendReceive', 'inactive', 'sendReceive']);
  });

  it('business data: roster metadata and incomingContext.onBehalfOf', async () => {
    const done = await run('business-data');
    const invite = notes().find((n) => n.changeType === 'created' && n.resourceData.id === done.legs[0]?.id);
    expect(invite?.resourceData.incomingContext.onBehalfOf.user.id).toBeTruthy();
    expect(invite?.resourceData.applicationMetadata.botData.otherSideUser.onBehalfOf.id).toMatch(/^8:orgid:/);
    const roster = notes().find((n) => n.resourceUrl === `/communications/calls/${done.legs[0]?.id ?? ''}/participants`);
    const meta = (roster?.resourceData as { metadata: string | null }[]).map((p) => p.metadata);
    expect(meta).toContain('{"desk":"FX-Spot","dealRef":"D-2026-1142"}');
  });

  it('load runner: offers calls at a rate and summarises them', async () => {
    const client = new SimClient({ baseUrl: h.sim.url, caFile: h.sim.certFile });
    const lines: string[] = [];
    try {
      const s = await runLoad(client, {
        scenario: 'pstn-inbound', calls: 6, ratePerSec: 6, clockScale: 2, // 4 s calls: room for the recorder to confirm under CPU load
        progressEveryMs: 500, settleTimeoutMs: 30_000,
        overrides: { notificationUrl: `${rec.url}/calls`, media: { enabled: false } }, out: (l) => lines.push(l),
      });
      expect(s.offered).toBe(6);
      expect(s.ended).toBe(6);
      expect(s.answeredWithin5s).toBe(6);
      expect(s.recordingConfirmed).toBe(6);
      expect(s.answerLatencyMs.p50).not.toBeNull();
      expect(lines.at(-1)).toMatch(/answer latency ms/);
    } finally {
      client.close();
    }
    expect((await h.call('GET', '/_sim/clock')).json()).toMatchObject({ scale: 5 }); // restored to what it was
  });

  it('summary maths', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([], 50)).toBeNull();
    const s = summarize([
      { id: 'a', scenario: 's', state: 'ended', users: [{ key: 'u', call: 'blocked', recording: 'none' }], legs: [{ id: 'l', recordedUser: 'u', invitation: 1, state: 'terminated', outcome: 'timeout', inviteSentAt: 1, answerLatencyMs: null, recordingStatus: null, resultInfo: { code: 408, subcode: 1106, message: '' } }] },
    ]);
    expect(s).toMatchObject({ offered: 1, answeredWithin5s: 0, answeredLate: 1, failedByReason: { 'user blocked': 1, 'invite timeout': 1 } });
  });
});
