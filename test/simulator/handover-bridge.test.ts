// The simulator's bridge role when its worker is lost: it retries, then moves to the alternates with the same HELLO,
// skips a worker that refuses the session, and gives up only when every worker refuses.
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameDecoder, NO_SOURCE_ID, decodeLocalMediaConfig, encodeMessage, parseBridgeAddress } from '../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { BridgeSession } from '../../simulator/src/media/bridge-session.js';
import { createLogger } from '../../simulator/src/log.js';
import { uniqueName } from '../helpers/stack-env.js';
import { api, startTestWorker, waitFor } from '../media-worker/helpers/worker-harness.js';
import type { RunningWorker } from '../../media-worker/src/worker.js';

const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

/** A "worker" that answers every HELLO with ERROR authFailed (fatal), counting the HELLOs. */
async function refusingWorker(): Promise<{ port: number; hellos: () => number }> {
  let hellos = 0;
  const server: Server = createServer((sock) => {
    const decoder = new FrameDecoder();
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      for (const m of decoder.push(d)) {
        if (m.type !== 'hello') continue;
        hellos++;
        sock.end(encodeMessage({ type: 'error', code: 'authFailed', fatal: true, message: 'not this session' }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, hellos: () => hellos };
}

/** A port nothing listens on (a killed worker). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const addr = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

const quiet = createLogger({ test: 'handover-bridge' }, true);

describe('simulator bridge: moving to another worker', () => {
  it('dead worker, then a worker that refuses, then one that takes the session: the bridge ends up on the last', async () => {
    const { worker } = await startTestWorker({ MEDIA_WORKER_ID: 'w-alt' });
    const w: RunningWorker = worker;
    closers.push(() => w.close());
    const callId = uniqueName('call');
    const res = await api(w.controlUrl, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
    const cfg = decodeLocalMediaConfig(ReserveSessionResponseSchema.parse(res.json).mediaConfig.blob);
    const refusing = await refusingWorker();
    let lost: string | undefined;
    const bridge = new BridgeSession(
      { host: '127.0.0.1', port: await deadPort(), sessionId: cfg.sessionId, token: cfg.token, callId, alternates: [{ host: '127.0.0.1', port: refusing.port }, parseBridgeAddress(w.bridgeUrl)] },
      quiet,
      (reason) => (lost = reason),
      { giveUpMs: 30_000, maxBackoffMs: 200, maxRetainFrames: 1000, retriesPerWorker: 2 },
    );
    bridge.addStream('mixed', 'mixed', NO_SOURCE_ID);
    bridge.start();
    await waitFor(() => bridge.links.length > 0 || lost !== undefined, 20_000, 'a welcome');
    expect(lost).toBeUndefined();
    expect(refusing.hellos()).toBe(1); // refused once, then skipped
    expect(bridge.links[0]?.address).toBe(w.bridgeUrl);
    expect(bridge.address).toBe(w.bridgeUrl);
    await bridge.finish(2000);
  });

  it('gives the session up only when every worker refuses it', async () => {
    const a = await refusingWorker();
    const b = await refusingWorker();
    let lost: string | undefined;
    const bridge = new BridgeSession(
      { host: '127.0.0.1', port: a.port, sessionId: 's-1', token: 'x'.repeat(20), callId: 'c-1', alternates: [{ host: '127.0.0.1', port: b.port }] },
      quiet,
      (reason) => (lost = reason),
      { giveUpMs: 30_000, maxBackoffMs: 200, maxRetainFrames: 1000, retriesPerWorker: 2 },
    );
    bridge.start();
    await waitFor(() => lost !== undefined, 20_000, 'give up');
    expect(lost).toMatch(/refused the bridge: authFailed/);
    expect([a.hellos(), b.hellos()]).toEqual([1, 1]);
    expect(bridge.isStopped()).toBe(true);
  });
});
