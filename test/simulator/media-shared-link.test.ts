// The bridge role as the simulator runs it (bridgeMedia): by default the legs of concurrent calls to one worker share
// one link; `transport: 'dedicated'` gives each leg its own connection. Ground truth equals what the receiver got.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type CallState } from './helpers/sim-harness.js';
import { answeringRecorder } from './helpers/answering-recorder.js';
import { startBridgeReceiver, type BridgeReceiver } from './helpers/bridge-receiver.js';
import { bridgeMedia } from '../../simulator/src/media/bridge-media.js';
import type { BridgeTransport } from '../../simulator/src/media/bridge-session.js';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

function scenario(): Record<string, unknown> {
  return {
    name: 'shared-link-test',
    kind: 'group',
    participants: [{ key: 'alice', recorded: true }, { key: 'bob' }],
    durationMs: 3000,
    media: { mode: 'mixed', pacing: 'realtime', script: [{ speaker: 'bob', toneHz: 440, ms: 500 }, { speaker: 'alice', toneHz: 550, ms: 500 }] },
  };
}

async function threeConcurrentCalls(h: Harness, bridge: BridgeReceiver): Promise<CallState[]> {
  const rec = await answeringRecorder(h, { blob: (legId) => bridge.blobFor(`session-${legId}`), reportRecording: true });
  closers.push(() => rec.close());
  const started = await Promise.all([1, 2, 3].map(() => h.startCall(scenario(), undefined, `${rec.url}/calls`)));
  return Promise.all(started.map((s) => h.waitFor(s.id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length === c.legs.length, 30_000)));
}

function expectExact(bridge: BridgeReceiver, states: CallState[]): void {
  for (const state of states) {
    const leg = state.legs[0];
    const truth = state.groundTruth[leg?.id ?? ''];
    expect(truth?.streams.length).toBe(1);
    for (const s of truth?.streams ?? []) {
      const got = bridge.hash(`session-${leg?.id ?? ''}`, s.streamId);
      expect(got.contiguous).toBe(true);
      expect(got.frames).toBeGreaterThan(50);
      expect(got.frames).toBe(s.frames);
      expect(got.sha256).toBe(s.sha256);
    }
  }
}

for (const transport of ['sharedLink', 'dedicated'] as BridgeTransport[]) {
  describe(`bridge media, transport ${transport}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ media: (log) => bridgeMedia(log, { bridge: { giveUpMs: 2000, ...(transport === 'dedicated' ? { transport } : {}) } }) });
      closers.push(() => h.close());
    });

    it(transport === 'sharedLink' ? 'default: three concurrent calls to one worker ride one connection' : 'three concurrent calls, one connection each', async () => {
      const bridge = await startBridgeReceiver();
      closers.push(() => bridge.close());
      const states = await threeConcurrentCalls(h, bridge);
      expectExact(bridge, states);
      expect(bridge.connections).toBe(transport === 'sharedLink' ? 1 : 3);
      expect(bridge.channelHellos).toBe(transport === 'sharedLink' ? 3 : 0);
    });
  });
}
