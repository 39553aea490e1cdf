// Protocol version 2, shared links: many sessions on one bridge connection (in-process worker, real Azurite).
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameDecoder, PROTOCOL_VERSION, decodeLocalMediaConfig, encodeMessage, type BridgeMessage } from '../../contracts/bridge/index.js';
import { LoadReportSchema, ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { ReferenceBridgeClient } from '../../media-worker/src/bridge/reference-bridge-client.js';
import { ReferenceBridgeLink } from '../../media-worker/src/bridge/reference-bridge-link.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import type { WorkerConfig } from '../../media-worker/src/config.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import { uniqueName } from '../helpers/stack-env.js';
import { api, expectedSha, sendFrames, startTestWorker, waitFor } from './helpers/worker-harness.js';

let worker: RunningWorker;
let config: WorkerConfig;

beforeAll(async () => {
  ({ worker, config } = await startTestWorker());
});

afterAll(async () => {
  await worker?.close();
});

interface Reserved {
  sessionId: string;
  callId: string;
  token: string;
}

async function reserve(): Promise<Reserved> {
  const callId = uniqueName('call');
  const res = await api(worker.controlUrl, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
  const r = ReserveSessionResponseSchema.parse(res.json);
  return { sessionId: r.sessionId, callId, token: decodeLocalMediaConfig(r.mediaConfig.blob).token };
}

function bridgeAddress(): { host: string; port: number } {
  const u = new URL(worker.bridgeUrl.replace(/^tcp:/, 'http:'));
  return { host: u.hostname, port: Number(u.port) };
}

async function bridgeConnections(): Promise<number> {
  return LoadReportSchema.parse((await api(worker.controlUrl, 'GET', '/load')).json).bridgeConnections ?? NaN;
}

function onLink(link: ReferenceBridgeLink, r: Reserved): ReferenceBridgeClient {
  return new ReferenceBridgeClient({ ...bridgeAddress(), sessionId: r.sessionId, token: r.token, callId: r.callId, link });
}

describe('shared links (protocol version 2)', () => {
  it('carries three sessions on one connection: separate credit, acks by stream index, exact recordings', async () => {
    const before = await bridgeConnections();
    const link = new ReferenceBridgeLink(bridgeAddress());
    const calls = await Promise.all([reserve(), reserve(), reserve()]);
    const clients = calls.map((r) => onLink(link, r));
    for (const c of clients) await c.connect();
    expect(link.connections).toBe(1);
    expect(await bridgeConnections()).toBe(before + 1);
    clients.forEach((c, i) => {
      c.startStream(0, 'mixed');
      if (i === 0) c.startStream(1, 'unmixed-7', 'unmixed', 7);
    });
    // Sessions 0 and 1 are granted; session 2 is not: its frames are held (and its credit withheld) without
    // holding back the others.
    for (const r of calls.slice(0, 2)) await api(worker.controlUrl, 'POST', `/sessions/${r.sessionId}/recording`, { status: 'granted' });
    await Promise.all([
      sendFrames(clients[0]!, 'mixed', 1, 30),
      sendFrames(clients[0]!, 'unmixed-7', 1, 30),
      sendFrames(clients[1]!, 'mixed', 1, 30),
      sendFrames(clients[2]!, 'mixed', 1, 30),
    ]);
    for (const c of clients.slice(0, 2)) c.endStream('mixed');
    clients[0]!.endStream('unmixed-7');
    await clients[0]!.waitAcked('mixed', 30, 20_000);
    await clients[0]!.waitAcked('unmixed-7', 30, 20_000);
    await clients[1]!.waitAcked('mixed', 30, 20_000);
    expect(clients[2]!.ackedSeq('mixed')).toBe(0);

    await api(worker.controlUrl, 'POST', `/sessions/${calls[2]!.sessionId}/recording`, { status: 'granted' });
    clients[2]!.endStream('mixed');
    await clients[2]!.waitAcked('mixed', 30, 20_000);

    const store = await createObjectStore(config);
    const verifier = await Ed25519FileSigner.fromFile(config.signingKeyFile, { createIfMissing: false });
    for (const [i, r] of calls.entries()) {
      const sealed = await api(worker.controlUrl, 'POST', `/sessions/${r.sessionId}/seal`, {});
      expect(sealed.status).toBe(200);
      const verdict = await verifyRecording({ callId: r.callId }, { store, verifier });
      expect(verdict.problems).toEqual([]);
      const expected = [expect.objectContaining({ streamId: 'mixed', frames: 30, sha256: expectedSha('mixed', 1, 30) })];
      if (i === 0) expected.push(expect.objectContaining({ streamId: 'unmixed-7', frames: 30, sha256: expectedSha('unmixed-7', 1, 30) }));
      expect(verdict.streams).toEqual(expected);
    }
    expect(link.connections).toBe(1);
    link.destroy();
  });

  it('a refused session closes only its channel; a lost link disconnects every session, which resume on a new link', async () => {
    const link = new ReferenceBridgeLink(bridgeAddress());
    const good = await Promise.all([reserve(), reserve()]);
    const clients = good.map((r) => onLink(link, r));
    for (const c of clients) await c.connect();
    const forged = onLink(link, { ...(await reserve()), token: 'not-the-ticket' });
    await expect(forged.connect()).rejects.toThrow(/authFailed/);
    expect(forged.errors.map((e) => e.code)).toEqual(['authFailed']);

    for (const r of good) await api(worker.controlUrl, 'POST', `/sessions/${r.sessionId}/recording`, { status: 'granted' });
    for (const c of clients) {
      c.startStream(0, 'mixed');
      await sendFrames(c, 'mixed', 1, 20);
      await c.waitAcked('mixed', 20, 20_000);
    }
    expect(link.connections).toBe(1);

    // The link dies: both sessions are disconnected on the worker; frames sent meanwhile are kept by the bridge.
    link.destroy();
    await waitFor(() => good.every((r) => worker.registry.get(r.sessionId)?.link === undefined), 10_000, 'sessions disconnected');
    for (const c of clients) await sendFrames(c, 'mixed', 21, 35);
    for (const c of clients) {
      const welcome = await c.connect();
      expect(welcome.durable).toEqual([{ streamId: 'mixed', seq: 20 }]);
    }
    expect(link.connections).toBe(2);
    for (const c of clients) {
      c.endStream('mixed');
      await c.waitAcked('mixed', 35, 20_000);
      expect(c.unackedCount('mixed')).toBe(0);
    }
    link.destroy();
  });

  it('answers link errors with a plain ERROR and closes the link; a version-1 HELLO keeps a dedicated connection', async () => {
    const r = await reserve();
    const got = await exchange([
      encodeMessage({ type: 'hello', version: PROTOCOL_VERSION, channel: 4, sessionId: r.sessionId, token: r.token, callId: r.callId, resume: [] }),
      encodeMessage({ type: 'streamStart', channel: 9, streamIndex: 0, streamId: 'mixed', kind: 'mixed', format: 'pcm16k', sourceId: 0xffffffff }),
    ]);
    expect(got).toContainEqual(expect.objectContaining({ type: 'welcome', channel: 4, version: PROTOCOL_VERSION }));
    expect(got).toContainEqual(expect.objectContaining({ type: 'error', code: 'protocolState', fatal: true, message: expect.stringMatching(/channel 9/) }));
    expect(got.find((m) => m.type === 'error')).not.toHaveProperty('channel');

    const v1 = await reserve();
    const dedicated = await exchange([
      encodeMessage({ type: 'hello', version: 1, sessionId: v1.sessionId, token: v1.token, callId: v1.callId, resume: [] }),
      encodeMessage({ type: 'hello', version: PROTOCOL_VERSION, channel: 1, sessionId: r.sessionId, token: r.token, callId: r.callId, resume: [] }),
    ]);
    expect(dedicated[0]).toMatchObject({ type: 'welcome', version: 1 });
    expect(dedicated[0]).not.toHaveProperty('channel');
    expect(dedicated[1]).toMatchObject({ type: 'error', code: 'protocolState', message: expect.stringMatching(/dedicated/) });
  });
});

/** Writes `frames` one by one (each after the previous answer or 300 ms) and collects what comes back until close. */
async function exchange(frames: Buffer[]): Promise<BridgeMessage[]> {
  const socket = connect(bridgeAddress());
  const decoder = new FrameDecoder();
  const got: BridgeMessage[] = [];
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('data', (d: Buffer) => got.push(...decoder.push(d)));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const f of frames) {
    const n = got.length;
    socket.write(f);
    await waitFor(() => got.length > n, 5000, 'an answer').catch(() => undefined);
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
  socket.destroy();
  return got;
}
