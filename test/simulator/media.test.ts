// Media: the simulator plays the Windows media bridge. Ground truth hashes must equal what a bridge receiver got,
// also across a dropped connection (un-acked frames replayed), in mixed and unmixed mode, with espeak-ng speech.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type CallState } from './helpers/sim-harness.js';
import { answeringRecorder } from './helpers/answering-recorder.js';
import { startBridgeReceiver, type BridgeReceiver } from './helpers/bridge-receiver.js';
import type { TestRecorder } from './helpers/throwaway-recorder.js';
import { bridgeMedia } from '../../simulator/src/media/bridge-media.js';

let h: Harness;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  h = await startHarness({ media: (log) => bridgeMedia(log, { bridge: { giveUpMs: 2000 } }) });
});
afterAll(async () => {
  await h.close();
  for (const c of closers) await c();
});

async function setup(o: Parameters<typeof startBridgeReceiver>[0] = {}): Promise<{ bridge: BridgeReceiver; rec: TestRecorder }> {
  const bridge = await startBridgeReceiver(o);
  const rec = await answeringRecorder(h, { blob: (legId) => bridge.blobFor(`session-${legId}`), reportRecording: true });
  closers.push(() => bridge.close(), () => rec.close());
  return { bridge, rec };
}

function scenario(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'media-test',
    kind: 'group',
    participants: [
      { key: 'alice', recorded: true },
      { key: 'bob' },
      { key: 'carol', kind: 'pstn', phone: '+4930999888' },
    ],
    durationMs: 60_000,
    ...extra,
  };
}

async function runToEnd(id: string): Promise<CallState> {
  return h.waitFor(id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length === c.legs.length, 30_000);
}

function expectMatches(bridge: BridgeReceiver, state: CallState): void {
  const leg = state.legs[0];
  const truth = state.groundTruth[leg?.id ?? ''];
  expect(truth?.streams.length).toBeGreaterThan(0);
  for (const s of truth?.streams ?? []) {
    const got = bridge.hash(`session-${leg?.id ?? ''}`, s.streamId);
    expect(got.contiguous, s.streamId).toBe(true);
    expect(got.frames, s.streamId).toBe(s.frames);
    expect(s.bytes).toBe(s.frames * 640);
    expect(got.sha256, s.streamId).toBe(s.sha256);
  }
}

describe('media bridge', () => {
  it('mixed, real-time pacing: ground truth equals the received bytes; active speakers are roster source ids', async () => {
    const { bridge, rec } = await setup();
    const t0 = Date.now();
    const started = await h.startCall(scenario({
      durationMs: 1500,
      media: { mode: 'mixed', pacing: 'realtime', script: [{ speaker: 'bob', toneHz: 440, ms: 400 }, { silenceMs: 100 }, { speaker: 'carol', toneHz: 660, ms: 400 }] },
    }), undefined, `${rec.url}/calls`);
    const state = await runToEnd(started.id);
    expectMatches(bridge, state);
    const truth = state.groundTruth[state.legs[0]?.id ?? ''];
    const mixed = truth?.streams.find((s) => s.streamId === 'mixed');
    // Real time: about 1.5 s of audio took at least ~1.2 s of wall clock (no upper bound: the machine is shared).
    expect(mixed?.frames).toBeGreaterThan(50);
    expect(Date.now() - t0).toBeGreaterThan(1200);
    const sources = (await h.getCall(started.id)) as unknown as { groundTruth: Record<string, { participants: { key: string; sourceId: string }[] }> };
    const parts = sources.groundTruth[state.legs[0]?.id ?? '']?.participants ?? [];
    const speakers = bridge.streams(`session-${state.legs[0]?.id ?? ''}`).get('mixed')?.speakers ?? new Set();
    const expected = parts.filter((p) => p.key === 'bob' || p.key === 'carol').map((p) => Number(p.sourceId)).sort();
    expect([...speakers].sort()).toEqual(expected);
  });

  it('a dropped connection: un-acked frames are replayed after reconnect and nothing is lost or doubled', async () => {
    const { bridge, rec } = await setup({ ackEvery: 50, dropAfterFrames: 130 });
    const started = await h.startCall(scenario({ durationMs: 60_000, media: { mode: 'mixed', pacing: 'fast', maxAudioMs: 6000 } }), undefined, `${rec.url}/calls`);
    await h.waitFor(started.id, (c) => c.legs[0]?.state === 'established');
    // Let the audio go out, then end the call.
    const until = Date.now() + 15_000;
    while (Date.now() < until && (bridge.streams(`session-${started.legs[0]?.id ?? ''}`).get('mixed')?.frames.size ?? 0) < 300) await new Promise((r) => setTimeout(r, 50));
    await h.call('POST', `/_sim/calls/${started.id}/end`);
    const state = await runToEnd(started.id);
    expectMatches(bridge, state);
    const truth = state.groundTruth[state.legs[0]?.id ?? ''];
    expect(truth?.streams[0]?.frames).toBe(300);
    expect(truth?.media?.connects).toBe(2);
    expect(truth?.media?.replayedFrames).toBeGreaterThan(0);
    expect(bridge.connections).toBe(2);
  });

  it('unmixed mode with espeak-ng speech: one stream per speaker, each hash matches', async () => {
    const { bridge, rec } = await setup();
    const started = await h.startCall(scenario({
      durationMs: 60_000,
      media: { mode: 'unmixed', pacing: 'fast', maxAudioMs: 4000, script: [{ speaker: 'bob', text: 'Buy one hundred.' }, { speaker: 'carol', toneHz: 500, ms: 600 }] },
    }), undefined, `${rec.url}/calls`);
    await h.waitFor(started.id, (c) => c.legs[0]?.state === 'established');
    const until = Date.now() + 20_000;
    while (Date.now() < until && bridge.streams(`session-${started.legs[0]?.id ?? ''}`).size < 2) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    await h.call('POST', `/_sim/calls/${started.id}/end`);
    const state = await runToEnd(started.id);
    expectMatches(bridge, state);
    const ids = state.groundTruth[state.legs[0]?.id ?? '']?.streams.map((s) => s.streamId) ?? [];
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^unmixed-\d+$/);
  });

  it('worker killed mid-call (media dropped): the leg ends with a media failure and fail-closed ejects the user', async () => {
    const { rec } = await setup();
    const started = await h.startCall(scenario({ durationMs: 60_000, events: [{ atMs: 800, type: 'dropMedia' }], media: { mode: 'mixed', pacing: 'realtime' } }), undefined, `${rec.url}/calls`);
    const state = await h.waitFor(started.id, (c) => c.legs[0]?.state === 'terminated');
    expect(state.legs[0]?.resultInfo).toMatchObject({ code: 410, subcode: 301005 });
    expect(state.users[0]?.call).toBe('ejected');
  });
});
