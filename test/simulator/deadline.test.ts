// The 5 s answer deadline for policy-based recording, in real time: answering at 4.9 s passes, at 5.1 s fails and the
// fail-closed default blocks the user's call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, p2pScenario, type Harness } from './helpers/sim-harness.js';
import { startRecorder, type TestRecorder } from './helpers/throwaway-recorder.js';

let h: Harness;
let rec: TestRecorder;
const answerStatus = new Map<string, number>();

beforeAll(async () => {
  h = await startHarness();
  rec = await startRecorder({
    jwksUrl: `${h.sim.url}/aps/v1/keys`,
    ca: h.ca,
    onIncoming: (legId, r) => {
      const delay = Number(new URL(r.path, 'http://x').searchParams.get('delay'));
      const chain = String(r.headers['x-microsoft-skype-chain-id']);
      void answerLater(legId, chain, delay);
    },
  });
  await h.appToken(); // cache the token, as a real recorder must
});

/** Answers `delay` ms after the simulator sent the invite (its own clock, so delivery time does not blur the edge). */
async function answerLater(legId: string, chain: string, delay: number): Promise<void> {
  const state = await h.getCall(chain);
  const sentAt = state.legs.find((l) => l.id === legId)?.inviteSentAt ?? Date.now();
  await new Promise((r) => setTimeout(r, Math.max(0, sentAt + delay - Date.now())));
  const res = await h.graph('POST', `/communications/calls/${legId}/answer`, {
    callbackUri: `${rec.url}/callback/${legId}`,
    acceptedModalities: ['audio'],
    mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: 'b' },
  });
  answerStatus.set(legId, res.status);
}

afterAll(async () => {
  await h.close();
  await rec.close();
});

describe('answer deadline (real time)', () => {
  it('answer at 4.9 s passes, at 5.1 s fails', async () => {
    const [inTime, late] = await Promise.all([
      h.startCall(p2pScenario(), undefined, `${rec.url}/calls?delay=4900`),
      h.startCall(p2pScenario(), undefined, `${rec.url}/calls?delay=5100`),
    ]);
    const a = await h.waitFor(inTime.id, (c) => c.legs[0]?.state === 'established', 15_000);
    const b = await h.waitFor(late.id, (c) => c.state === 'ended', 15_000);
    const legA = a.legs[0];
    const legB = b.legs[0];
    expect(legA?.outcome).toBe('answered');
    expect(legA?.answerLatencyMs).toBeGreaterThanOrEqual(4900);
    expect(legA?.answerLatencyMs).toBeLessThan(5000);
    expect(a.users[0]?.call).toBe('connected');
    expect(answerStatus.get(legA?.id ?? '')).toBe(202);

    expect(legB?.outcome).toBe('timeout');
    expect(legB?.resultInfo).toMatchObject({ code: 408, subcode: 1106 });
    expect(b.users[0]?.call).toBe('blocked');
    const until = Date.now() + 5000;
    while (!answerStatus.has(legB?.id ?? '') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(answerStatus.get(legB?.id ?? '')).toBe(404);
  });
});
