// Delivery like Graph (retries on non-2xx) and the switchable faults/quirks a recorder must survive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, p2pScenario, type Harness } from './helpers/sim-harness.js';
import type { TestRecorder } from './helpers/throwaway-recorder.js';
import { answeringRecorder } from './helpers/answering-recorder.js';

let h: Harness;
const recorders: TestRecorder[] = [];

beforeAll(async () => {
  h = await startHarness({ delivery: { backoffMs: 50 } });
});
afterAll(async () => {
  await h.close();
  await Promise.all(recorders.map((r) => r.close()));
});

async function recorder(failFirst = 0): Promise<TestRecorder> {
  const r = await answeringRecorder(h, { failFirst });
  recorders.push(r);
  return r;
}

type N = { changeType: string; resourceUrl: string; resourceData: Record<string, any> | Record<string, any>[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
const all = (rec: TestRecorder): N[] => rec.received.filter((r) => r.status === 202).flatMap((r) => r.body.value as N[]);
const callStates = (rec: TestRecorder, legId: string): string[] =>
  all(rec).filter((n) => n.resourceUrl === `/communications/calls/${legId}`).map((n) => `${n.changeType}:${String((n.resourceData as Record<string, unknown>).state)}`);

async function runCall(rec: TestRecorder, extra: Record<string, unknown>) {
  const started = await h.startCall(p2pScenario({ durationMs: 800, ...extra }), undefined, `${rec.url}/calls`);
  const done = await h.waitFor(started.id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length === c.legs.length);
  await new Promise((r) => setTimeout(r, 400)); // let the last deliveries land
  return { done, legId: started.legs[0]?.id ?? '' };
}

describe('delivery', () => {
  it('retries on 500 until the recorder accepts', async () => {
    const rec = await recorder(2);
    const { done } = await runCall(rec, {});
    expect(rec.received.slice(0, 3).map((r) => r.status)).toEqual([500, 500, 202]);
    const incoming = done.deliveries.find((d) => d.kind === 'incoming');
    expect(incoming).toMatchObject({ attempts: 3, status: 202 });
    expect(done.legs[0]?.outcome).toBe('answered');
  });

  it('duplicates: every notification arrives twice', async () => {
    const rec = await recorder();
    const { done, legId } = await runCall(rec, { faults: { duplicate: true } });
    const states = callStates(rec, legId);
    for (const s of ['created:incoming', 'updated:established', 'deleted:terminated']) expect(states.filter((x) => x === s), s).toHaveLength(2);
    expect(done.deliveries.some((d) => d.duplicate)).toBe(true);
  });

  it('reordering: established can arrive before establishing', async () => {
    const rec = await recorder();
    const { legId } = await runCall(rec, { faults: { reorder: true } });
    const states = callStates(rec, legId);
    expect(states.indexOf('updated:established')).toBeLessThan(states.indexOf('updated:establishing'));
    expect(states.at(-1)).toBe('deleted:terminated');
  });

  it('lost terminated: no deleted notification, but GET says 404', async () => {
    const rec = await recorder();
    const { legId } = await runCall(rec, { faults: { dropTerminated: true } });
    expect(callStates(rec, legId).some((s) => s.startsWith('deleted'))).toBe(false);
    expect((await h.graph('GET', `/communications/calls/${legId}`)).status).toBe(404);
  });

  it('quirks: resultInfo codes as strings, PascalCase enums, repeated established adding fields', async () => {
    const rec = await recorder();
    const { legId } = await runCall(rec, { faults: { resultCodesAs: 'string', enumCasing: 'pascal', repeatEstablished: true } });
    const ns = all(rec).filter((n) => n.resourceUrl === `/communications/calls/${legId}`);
    expect(ns[0]?.changeType).toBe('Created');
    expect((ns[0]?.resourceData as Record<string, unknown>).state).toBe('Incoming');
    const est = ns.filter((n) => (n.resourceData as Record<string, unknown>).state === 'Established');
    expect(est).toHaveLength(2);
    expect((est[1]?.resourceData as Record<string, unknown>).mediaState).toBeTruthy();
    const term = ns.find((n) => n.changeType === 'Deleted');
    expect((term?.resourceData as Record<string, any>).resultInfo).toMatchObject({ code: '200', subcode: '540000' }); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('extra legs: several invites for one conversation, the extra one short-lived from a VoIP-phone endpoint', async () => {
    const rec = await recorder();
    const { done } = await runCall(rec, { extraLegs: 1, durationMs: 3000 });
    const invites = all(rec).filter((n) => n.changeType === 'created').map((n) => n.resourceData as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(invites).toHaveLength(2);
    expect(new Set(invites.map((i) => i.callChainId)).size).toBe(1);
    expect(invites.map((i) => i.source.endpointType).sort()).toEqual(['default', 'skypeForBusinessVoipPhone']);
    const extra = done.legs.find((l) => l.invitation === 0);
    expect(extra?.resultInfo).toMatchObject({ code: 200, subcode: 5002 });
    expect(done.users[0]?.call).toBe('ended');
  });

  it('global faults via the control API apply to new calls', async () => {
    const rec = await recorder();
    expect((await h.call('POST', '/_sim/faults', { enumCasing: 'pascal' })).status).toBe(200);
    expect((await h.call('POST', '/_sim/faults', { nonsense: true })).status).toBe(400);
    try {
      const { legId } = await runCall(rec, {});
      expect(callStates(rec, legId)[0]).toBe('Created:Incoming');
    } finally {
      await h.call('POST', '/_sim/faults', {});
    }
  });
});
