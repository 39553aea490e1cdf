// Shared links (PROTOCOL.md version 2) against the test bridge receiver: many sessions on one connection, each with
// its own channel, credit and ground truth; a link cut mid-call resumes every session on one new link; a refusal on
// one channel moves only that session.
import { afterAll, describe, expect, it } from 'vitest';
import { NO_SOURCE_ID, parseBridgeAddress, decodeLocalMediaConfig } from '../../contracts/bridge/index.js';
import { BridgeSession, type BridgeTransport } from '../../simulator/src/media/bridge-session.js';
import { BridgeLinkPool } from '../../simulator/src/media/bridge-link-pool.js';
import { createLogger } from '../../simulator/src/log.js';
import { startBridgeReceiver, type BridgeReceiver } from './helpers/bridge-receiver.js';
import { waitFor } from '../media-worker/helpers/worker-harness.js';

const quiet = createLogger({ test: 'bridge-link' }, true);
const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function receiver(o: Parameters<typeof startBridgeReceiver>[0] = {}): Promise<BridgeReceiver> {
  const r = await startBridgeReceiver(o);
  closers.push(() => r.close());
  return r;
}

function pcm(session: number, seq: number): Buffer {
  const b = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) b.writeInt16LE(((session * 7919 + seq * 31 + i) % 30000) - 15000, i * 2);
  return b;
}

interface Leg {
  id: string;
  session: BridgeSession;
  lost: string[];
  push(from: number, to: number): void;
}

function leg(n: number, primary: BridgeReceiver, transport: BridgeTransport, pool: BridgeLinkPool, alternates: BridgeReceiver[] = []): Leg {
  const id = `session-link-${n}-${Math.random().toString(36).slice(2, 8)}`;
  const cfg = decodeLocalMediaConfig(primary.blobFor(id));
  const lost: string[] = [];
  const session = new BridgeSession(
    { host: cfg.host, port: cfg.port, sessionId: id, token: cfg.token, callId: `call-${id}`, alternates: alternates.map((a) => parseBridgeAddress(`tcp://127.0.0.1:${a.port}`)) },
    quiet,
    (reason) => lost.push(reason),
    { giveUpMs: 20_000, maxBackoffMs: 200, maxRetainFrames: 10_000, retriesPerWorker: 2, transport, linkPool: pool },
  );
  session.addStream('mixed', 'mixed', NO_SOURCE_ID);
  session.start();
  return {
    id,
    session,
    lost,
    push: (from, to) => {
      for (let seq = from; seq <= to; seq++) session.push('mixed', { timestamp: BigInt(seq) * 200_000n, flags: 0, speakers: [], payload: pcm(n, seq) });
    },
  };
}

/** The receiver holds exactly what the leg generated: every seq once, in order, same bytes. */
function expectExact(r: BridgeReceiver, l: Leg, frames: number): void {
  const truth = l.session.summary().streams[0];
  const got = r.hash(l.id, 'mixed');
  expect(got.contiguous, l.id).toBe(true);
  expect(got.frames, l.id).toBe(frames);
  expect(truth?.generatedFrames).toBe(frames);
  expect(got.sha256, l.id).toBe(truth?.generatedSha256);
  expect(truth?.sha256).toBe(truth?.generatedSha256);
  expect(l.lost).toEqual([]);
}

describe('simulator bridge: shared links', () => {
  it('six legs to one worker share one connection (channel HELLOs), their frames go out in coalesced writes, each stream is exact', async () => {
    const r = await receiver({ ackEvery: 50 });
    const pool = new BridgeLinkPool();
    const legs = [1, 2, 3, 4, 5, 6].map((n) => leg(n, r, 'sharedLink', pool));
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 10_000, 'six welcomes');
    for (const l of legs) l.push(1, 300);
    await waitFor(() => legs.every((l) => l.session.ackedFrames >= 300), 20_000, 'all frames acked');
    const stats = pool.writeStats();
    expect(r.connections).toBe(1);
    expect(r.channelHellos).toBe(6);
    expect(pool.connectionsOpened).toBe(1);
    // 1,800 AUDIO frames (+ HELLO/STREAM_START) in far fewer socket writes: one per turn for all six sessions.
    expect(stats.frames).toBeGreaterThan(1800);
    expect(stats.writes).toBeLessThan(stats.frames / 10);
    await Promise.all(legs.map((l) => l.session.finish(5000)));
    for (const l of legs) expectExact(r, l, 300);
    await waitFor(() => r.openConnections === 0, 5000, 'the idle link closed');
    expect(pool.openLinks).toBe(0);
  });

  it('dedicated transport: one connection per leg, version-1 style (no channels)', async () => {
    const r = await receiver({ ackEvery: 50 });
    const pool = new BridgeLinkPool();
    const legs = [1, 2, 3].map((n) => leg(n, r, 'dedicated', pool));
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 10_000, 'three welcomes');
    for (const l of legs) l.push(1, 120);
    await Promise.all(legs.map((l) => l.session.finish(5000)));
    expect(r.connections).toBe(3);
    expect(r.channelHellos).toBe(0);
    for (const l of legs) expectExact(r, l, 120);
  });

  it('a link cut mid-call: every session on it resumes on one new link, replays what was not acked, nothing lost or doubled', async () => {
    const r = await receiver({ ackEvery: 50 });
    const pool = new BridgeLinkPool();
    const legs = [1, 2, 3, 4].map((n) => leg(n, r, 'sharedLink', pool));
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 10_000, 'four welcomes');
    for (const l of legs) l.push(1, 170);
    await waitFor(() => legs.every((l) => l.session.ackedFrames >= 150), 10_000, '150 acked per leg');
    r.dropAll();
    for (const l of legs) l.push(171, 400);
    await waitFor(() => legs.every((l) => l.session.links.length === 2), 10_000, 'four resumes');
    await Promise.all(legs.map((l) => l.session.finish(5000)));
    expect(r.connections).toBe(2);
    for (const l of legs) {
      expect(l.session.connects).toBe(2);
      // The second welcome announced what was durable; the session resumed from there.
      expect(l.session.links[1]?.durable.find((d) => d.streamId === 'mixed')?.seq).toBeGreaterThanOrEqual(150);
      expectExact(r, l, 400);
    }
    expect(legs.reduce((n, l) => n + l.session.replayedFrames, 0)).toBeGreaterThan(0);
  });

  it('a worker refusing one session on its channel moves only that session to the alternate; the others stay on the link', async () => {
    const b = await receiver({ ackEvery: 50 });
    const pool = new BridgeLinkPool();
    // Session ids are made in leg(): refuse the third by a prefix match, via a receiver that knows it in advance.
    const ids: string[] = [];
    const a = await receiver({ ackEvery: 50, refuseSessions: ids });
    const legs: Leg[] = [];
    for (const n of [1, 2, 3]) {
      const l = leg(n, a, 'sharedLink', pool, [b]);
      if (n === 3) ids.push(l.id);
      legs.push(l);
    }
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 10_000, 'three welcomes');
    for (const l of legs) l.push(1, 100);
    await Promise.all(legs.map((l) => l.session.finish(5000)));
    expect(legs.map((l) => l.session.links[0]?.address)).toEqual([
      `tcp://127.0.0.1:${a.port}`, `tcp://127.0.0.1:${a.port}`, `tcp://127.0.0.1:${b.port}`,
    ]);
    expect(a.connections).toBe(1); // the refusal closed the channel, not the link
    expect(a.channelHellos).toBe(3);
    expectExact(a, legs[0] as Leg, 100);
    expectExact(a, legs[1] as Leg, 100);
    expectExact(b, legs[2] as Leg, 100);
  });

  it('a worker without shared links (answers a channel HELLO plainly): the sessions fall back to a dedicated connection each', async () => {
    const r = await receiver({ ackEvery: 50, noChannels: true });
    const pool = new BridgeLinkPool();
    const legs = [1, 2, 3].map((n) => leg(n, r, 'sharedLink', pool));
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 10_000, 'three welcomes');
    expect(pool.fallsBackToDedicated({ host: '127.0.0.1', port: r.port })).toBe(true);
    for (const l of legs) l.push(1, 120);
    await Promise.all(legs.map((l) => l.session.finish(5000)));
    expect(r.connections).toBe(4); // the shared link it did not understand, then one per session
    for (const l of legs) {
      expect(l.session.connects).toBe(2);
      expectExact(r, l, 120);
    }
  });

  it('a link that goes silent is dead after 3 heartbeat intervals: every session on it resumes on a new link', async () => {
    const r = await receiver({ ackEvery: 50, heartbeatIntervalMs: 200 });
    const pool = new BridgeLinkPool();
    const legs = [1, 2, 3].map((n) => leg(n, r, 'sharedLink', pool));
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 10_000, 'three welcomes');
    for (const l of legs) l.push(1, 100);
    await waitFor(() => legs.every((l) => l.session.ackedFrames >= 100), 10_000, '100 acked per leg');
    r.freezeAll();
    for (const l of legs) l.push(101, 200);
    await waitFor(() => legs.every((l) => l.session.links.length === 2), 15_000, 'three resumes');
    await Promise.all(legs.map((l) => l.session.finish(5000)));
    expect(r.connections).toBe(2);
    for (const l of legs) {
      expect(l.session.lostAt).not.toBeNull();
      expectExact(r, l, 200);
    }
  });

  it('GOODBYE on one channel ends or moves only that session: migrating resumes it on a new channel, recordingStopped stops it', async () => {
    const r = await receiver({ ackEvery: 50 });
    const pool = new BridgeLinkPool();
    const [moved, stopped, other] = [1, 2, 3].map((n) => leg(n, r, 'sharedLink', pool)) as [Leg, Leg, Leg];
    const legs = [moved, stopped, other];
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 10_000, 'three welcomes');
    for (const l of legs) l.push(1, 100);
    await waitFor(() => legs.every((l) => l.session.ackedFrames >= 100), 10_000, '100 acked per leg');
    expect(r.goodbye(moved.id, 'migrating')).toBe(true);
    expect(r.goodbye(stopped.id, 'recordingStopped')).toBe(true);
    await waitFor(() => moved.session.links.length === 2 && stopped.session.isStopped(), 10_000, 'one resumed, one stopped');
    for (const l of legs) l.push(101, 200);
    await Promise.all(legs.map((l) => l.session.finish(5000)));
    expect(r.connections).toBe(1); // the link stayed; the moved session took a new channel on it
    expect(r.channelHellos).toBe(4);
    expect(other.session.links).toHaveLength(1);
    expect(other.session.connects).toBe(1);
    expectExact(r, moved, 200);
    expectExact(r, other, 200);
    expect(r.hash(stopped.id, 'mixed').frames).toBe(100);
    expect(stopped.lost).toEqual([]);
  });
});
