// The simulator's bridge on shared links against a real media-worker (in process, the run's Azurite): several legs on
// one connection with every stored stream equal to its ground truth, a link cut mid-call (a TCP proxy in between)
// after which every session resumes on one new link with nothing acked lost, and a session refused by its worker on
// its channel moving to the alternate while the others stay.
import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_SOURCE_ID, decodeLocalMediaConfig, parseBridgeAddress } from '../../contracts/bridge/index.js';
import { LoadReportSchema, ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import type { ObjectStore } from '../../media-worker/src/storage/object-store.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { BridgeSession, type BridgeAddress } from '../../simulator/src/media/bridge-session.js';
import { BridgeLinkPool } from '../../simulator/src/media/bridge-link-pool.js';
import { createLogger } from '../../simulator/src/log.js';
import { uniqueName } from '../helpers/stack-env.js';
import { SHARED_KEY, api, startTestWorker, waitFor } from '../media-worker/helpers/worker-harness.js';

const quiet = createLogger({ test: 'shared-link-worker' }, true);
const OTHER_KEY = 'other-pool-key-0123456789';
let a: RunningWorker;
let b: RunningWorker;
let storeA: ObjectStore;
let storeB: ObjectStore;
const closers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  const sa = await startTestWorker({ MEDIA_WORKER_ID: 'w-link-a', MEDIA_WORKER_HEARTBEAT_MS: '1000' });
  // B is of another pool (another key): A cannot verify B's tickets, so A refuses B's sessions (authFailed).
  const sb = await startTestWorker({ MEDIA_WORKER_ID: 'w-link-b', WORKER_SHARED_KEY: OTHER_KEY });
  a = sa.worker;
  b = sb.worker;
  storeA = await createObjectStore(sa.config);
  storeB = await createObjectStore(sb.config);
}, 60_000);
afterAll(async () => {
  for (const c of closers) await c();
  await a?.close();
  await b?.close();
});

/** A TCP proxy in front of a worker's bridge port whose connections can be cut (the link dies, the worker lives). */
async function cuttableProxy(target: BridgeAddress): Promise<{ port: number; cut: () => void }> {
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.host, port: target.port });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => {
    for (const [c, u] of pairs) {
      c.destroy();
      u.destroy();
    }
    server.close(() => r());
  }));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    cut: () => {
      for (const [c, u] of [...pairs]) {
        c.destroy();
        u.destroy();
      }
    },
  };
}

interface Leg {
  callId: string;
  sessionId: string;
  session: BridgeSession;
  lost: string[];
  push(from: number, to: number): Promise<void>;
}

async function reserve(w: RunningWorker, key = SHARED_KEY): Promise<{ callId: string; sessionId: string; token: string; bridge: BridgeAddress }> {
  const callId = uniqueName('call');
  const res = await api(w.controlUrl, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' }, key);
  expect(res.status).toBe(201);
  const cfg = decodeLocalMediaConfig(ReserveSessionResponseSchema.parse(res.json).mediaConfig.blob);
  await api(w.controlUrl, 'POST', `/sessions/${cfg.sessionId}/recording`, { status: 'granted' }, key);
  return { callId, sessionId: cfg.sessionId, token: cfg.token, bridge: { host: cfg.host, port: cfg.port } };
}

function pcm(n: number, seq: number): Buffer {
  const buf = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) buf.writeInt16LE(((n * 104_729 + seq * 37 + i * 3) % 60_000) - 30_000, i * 2);
  return buf;
}

function leg(n: number, r: { callId: string; sessionId: string; token: string }, primary: BridgeAddress, pool: BridgeLinkPool, alternates: BridgeAddress[] = []): Leg {
  const lost: string[] = [];
  const session = new BridgeSession(
    { ...primary, sessionId: r.sessionId, token: r.token, callId: r.callId, alternates },
    quiet,
    (reason) => lost.push(reason),
    { giveUpMs: 30_000, maxBackoffMs: 300, maxRetainFrames: 30_000, retriesPerWorker: 2, transport: 'sharedLink', linkPool: pool },
  );
  session.addStream('mixed', 'mixed', NO_SOURCE_ID);
  session.start();
  return {
    callId: r.callId,
    sessionId: r.sessionId,
    session,
    lost,
    push: async (from, to) => {
      for (let seq = from; seq <= to; seq++) {
        session.push('mixed', { timestamp: BigInt(seq) * 200_000n, flags: 0, speakers: [], payload: pcm(n, seq) });
        if (seq % 50 === 0) await new Promise((res) => setTimeout(res, 5));
      }
    },
  };
}

async function bridgeConnections(w: RunningWorker, key = SHARED_KEY): Promise<number> {
  return LoadReportSchema.parse((await api(w.controlUrl, 'GET', '/load', undefined, key)).json).bridgeConnections;
}

/** The stream as stored in Blob (chunks in index order), and the leg's ground truth: the same frames, the same bytes. */
async function expectStoredEqualsTruth(store: ObjectStore, l: Leg, frames: number): Promise<void> {
  const names: string[] = [];
  for await (const o of store.list('')) if (o.name.includes(`/${l.callId}/mixed/`) && o.name.endsWith('.pcm')) names.push(o.name);
  names.sort();
  const h = createHash('sha256');
  let bytes = 0;
  for (const name of names) {
    const data = (await store.get(name))?.data ?? Buffer.alloc(0);
    h.update(data);
    bytes += data.length;
  }
  const truth = l.session.summary().streams[0];
  expect(truth?.generatedFrames, l.callId).toBe(frames);
  expect(bytes / 640, l.callId).toBe(frames);
  expect(h.digest('hex'), l.callId).toBe(truth?.generatedSha256);
  expect(l.lost).toEqual([]);
}

async function endAndSeal(w: RunningWorker, legs: Leg[], key = SHARED_KEY): Promise<void> {
  await Promise.all(legs.map((l) => l.session.finish(15_000)));
  for (const l of legs) expect((await api(w.controlUrl, 'POST', `/sessions/${l.sessionId}/seal`, {}, key)).status).toBe(200);
}

describe('simulator bridge on shared links, real media-worker', () => {
  it('five legs ride one connection to the worker; each stored stream equals its ground truth', async () => {
    const pool = new BridgeLinkPool();
    const bridge = parseBridgeAddress(a.bridgeUrl);
    const legs: Leg[] = [];
    for (const n of [1, 2, 3, 4, 5]) legs.push(leg(n, await reserve(a), bridge, pool));
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 15_000, 'five welcomes');
    expect(await bridgeConnections(a)).toBe(1);
    await Promise.all(legs.map((l) => l.push(1, 250)));
    await waitFor(() => legs.every((l) => l.session.ackedFrames >= 250), 30_000, 'every frame acked');
    expect(await bridgeConnections(a)).toBe(1);
    expect(pool.connectionsOpened).toBe(1);
    await endAndSeal(a, legs);
    for (const l of legs) await expectStoredEqualsTruth(storeA, l, 250);
  });

  it('the link cut mid-call: every session resumes on one new link from the durable point, nothing acked is lost', async () => {
    const pool = new BridgeLinkPool();
    const proxy = await cuttableProxy(parseBridgeAddress(a.bridgeUrl));
    const viaProxy = { host: '127.0.0.1', port: proxy.port };
    const legs: Leg[] = [];
    for (const n of [11, 12, 13]) legs.push(leg(n, await reserve(a), viaProxy, pool));
    await waitFor(() => legs.every((l) => l.session.links.length === 1), 15_000, 'three welcomes');
    await Promise.all(legs.map((l) => l.push(1, 200)));
    await waitFor(() => legs.every((l) => l.session.ackedFrames >= 150), 30_000, '150 acked per leg');
    const ackedAtCut = legs.map((l) => l.session.ackedFrames);
    proxy.cut();
    await Promise.all(legs.map((l) => l.push(201, 400)));
    await waitFor(() => legs.every((l) => l.session.links.length === 2), 20_000, 'three resumes');
    await waitFor(() => legs.every((l) => l.session.ackedFrames >= 400), 30_000, 'every frame acked after the resume');
    expect(pool.connectionsOpened).toBe(2);
    expect(await bridgeConnections(a)).toBe(1);
    legs.forEach((l, i) => {
      expect(l.session.connects).toBe(2);
      // The worker's WELCOME on the new link: at least what it had acked before the cut.
      expect(l.session.links[1]?.durable.find((d) => d.streamId === 'mixed')?.seq ?? 0).toBeGreaterThanOrEqual(ackedAtCut[i] ?? 0);
    });
    await endAndSeal(a, legs);
    for (const l of legs) await expectStoredEqualsTruth(storeA, l, 400);
  });

  it('a session its worker refuses on its channel moves to the alternate; the others stay on the link', async () => {
    const pool = new BridgeLinkPool();
    const bridgeA = parseBridgeAddress(a.bridgeUrl);
    const bridgeB = parseBridgeAddress(b.bridgeUrl);
    const stay1 = leg(21, await reserve(a), bridgeA, pool, [bridgeB]);
    const stay2 = leg(22, await reserve(a), bridgeA, pool, [bridgeB]);
    // Reserved on B (the other pool) but first tried on A, as a bridge whose worker list starts elsewhere would.
    const mover = leg(23, await reserve(b, OTHER_KEY), bridgeA, pool, [bridgeB]);
    await waitFor(() => [stay1, stay2, mover].every((l) => l.session.links.length === 1), 20_000, 'three welcomes');
    expect(mover.session.links[0]?.address).toBe(b.bridgeUrl);
    expect(mover.session.lastError).toMatch(/authFailed/);
    expect([stay1, stay2].map((l) => l.session.links.map((k) => k.address))).toEqual([[a.bridgeUrl], [a.bridgeUrl]]);
    expect(pool.connectionsOpened).toBe(2); // one link to A (kept after the refusal), one to B
    await Promise.all([stay1, stay2, mover].map((l) => l.push(1, 120)));
    await waitFor(() => [stay1, stay2, mover].every((l) => l.session.ackedFrames >= 120), 30_000, 'every frame acked');
    expect(stay1.session.connects + stay2.session.connects).toBe(2);
    await endAndSeal(a, [stay1, stay2]);
    await endAndSeal(b, [mover], OTHER_KEY);
    await expectStoredEqualsTruth(storeA, stay1, 120);
    await expectStoredEqualsTruth(storeA, stay2, 120);
    await expectStoredEqualsTruth(storeB, mover, 120);
  });
});
