// A lost media-worker: a call records on worker A; A is killed (-9, no restart) after acking frames it had only
// spilled (its Blob path stalled); the simulator's bridge moves the session to worker B with the session ticket;
// B adopts it from Blob, gets the grant, the call goes on and ends, B seals; verify passes with the declared gap,
// the stored audio equals the ground truth outside it, and the gap is exactly what A acked but never put in Blob.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_SOURCE_ID, decodeLocalMediaConfig, parseBridgeAddress } from '../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import { loadConfig } from '../../media-worker/src/config.js';
import { SignedManifestSchema } from '../../media-worker/src/manifest/manifest.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { parseChunkName } from '../../media-worker/src/storage/naming.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import { BridgeSession } from '../../simulator/src/media/bridge-session.js';
import { createLogger } from '../../simulator/src/log.js';
import { stackEnv, tempDir, uniqueName } from '../helpers/stack-env.js';
import { eventSink, StallableProxy } from './helpers/handover-fixtures.js';
import { SHARED_KEY, api, frame, waitFor } from './helpers/worker-harness.js';
import { REPO, compileWorker, freePort, killHard, spawnWorker, type WorkerProcess } from './helpers/worker-process.js';

const running: WorkerProcess[] = [];
const closers: Array<() => void> = [];
afterAll(async () => {
  await Promise.all(running.map(killHard));
  for (const c of closers) c();
});

beforeAll(async () => {
  await compileWorker();
}, 180_000);

describe('handover: a lost worker', () => {
  it('kill -9 of worker A mid-call: the bridge moves to B, B seals, verify passes with exactly the gap A acked but never stored', async () => {
    const blobCs = stackEnv().blobConnectionString;
    const blobEndpoint = /BlobEndpoint=(http:\/\/[^;]+)/.exec(blobCs)?.[1];
    if (!blobEndpoint) throw new Error(`no BlobEndpoint in ${blobCs}`);
    const azurite = new URL(blobEndpoint);
    const proxy = new StallableProxy({ host: azurite.hostname, port: Number(azurite.port) });
    const proxyPort = await proxy.listen();
    closers.push(() => proxy.close());
    const sink = await eventSink();
    closers.push(() => sink.server.close());

    const container = uniqueName('handover');
    const keyFile = join(await tempDir('handover-key'), 'manifest-signing-key.pem');
    await Ed25519FileSigner.fromFile(keyFile); // one signing key for the pool (Key Vault in production)
    const ports = { aControl: await freePort(), aBridge: await freePort(), bControl: await freePort(), bBridge: await freePort() };
    const common = {
      RECORDINGS_CONTAINER: container,
      WORKER_SHARED_KEY: SHARED_KEY,
      MANIFEST_SIGNING_KEY_FILE: keyFile,
      MEDIA_WORKER_CHUNK_MS: '200',
      MEDIA_WORKER_LOG: 'warn',
      MEDIA_WORKER_HEARTBEAT_MS: '1000',
      FUNCTIONS_BASE_URL: sink.url,
    };
    const envA = {
      ...common,
      MEDIA_WORKER_ID: 'w-a',
      MEDIA_WORKER_CONTROL_PORT: String(ports.aControl),
      MEDIA_WORKER_BRIDGE_PORT: String(ports.aBridge),
      MEDIA_WORKER_DATA_DIR: await tempDir('handover-a'),
      BLOB_CONNECTION_STRING: blobCs.replace(blobEndpoint, `http://127.0.0.1:${proxyPort}${azurite.pathname}`),
      MEDIA_WORKER_PRIMARY_TIMEOUT_MS: '300',
      MEDIA_WORKER_ALTERNATE_BRIDGES: `tcp://127.0.0.1:${ports.bBridge}`,
    };
    const envB = {
      ...common,
      MEDIA_WORKER_ID: 'w-b',
      MEDIA_WORKER_CONTROL_PORT: String(ports.bControl),
      MEDIA_WORKER_BRIDGE_PORT: String(ports.bBridge),
      MEDIA_WORKER_DATA_DIR: await tempDir('handover-b'),
      BLOB_CONNECTION_STRING: blobCs,
      MEDIA_WORKER_ALTERNATE_BRIDGES: `tcp://127.0.0.1:${ports.aBridge}`,
    };
    const [a, b] = await Promise.all([spawnWorker(envA), spawnWorker(envB)]);
    running.push(a, b);

    // Reserve on A (as the webhook does); the media config names B as the alternate.
    const callId = uniqueName('call');
    const reserved = await api(a.url, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
    expect(reserved.status).toBe(201);
    const { sessionId, mediaConfig } = ReserveSessionResponseSchema.parse(reserved.json);
    const cfg = decodeLocalMediaConfig(mediaConfig.blob);
    expect(cfg.alternates).toEqual([`tcp://127.0.0.1:${ports.bBridge}`]);

    // The simulator's bridge role; the truth of what Teams sent, per seq.
    const truth = new Map<number, Buffer>();
    const bridge = new BridgeSession(
      { host: cfg.host, port: cfg.port, sessionId: cfg.sessionId, token: cfg.token, callId, alternates: (cfg.alternates ?? []).map(parseBridgeAddress) },
      createLogger({ test: 'handover' }, true),
      (reason) => {
        throw new Error(`bridge gave up: ${reason}`);
      },
      { giveUpMs: 60_000, maxBackoffMs: 500, maxRetainFrames: 30_000, retriesPerWorker: 2, onGenerated: (_s, seq, payload) => truth.set(seq, payload) },
    );
    bridge.addStream('mixed', 'mixed', NO_SOURCE_ID);
    bridge.start();
    const push = async (from: number, to: number): Promise<void> => {
      for (let seq = from; seq <= to; seq++) {
        const f = frame('mixed', seq);
        bridge.push('mixed', { timestamp: f.timestamp, flags: 0, speakers: f.activeSpeakers, payload: f.payload });
        if (seq % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    };
    const acked = (): number => bridge.ackedFrames; // one stream from seq 1: frames acked = its cumulative ack

    expect((await api(a.url, 'POST', `/sessions/${sessionId}/recording`, { status: 'granted' })).status).toBe(200);
    await push(1, 200);
    await waitFor(() => acked() >= 200, 30_000, 'A acks 1..200 (stored in Blob)');
    // A's Blob path stalls: it spills to its local journal and still acks (durable on its disk).
    proxy.stall();
    await push(201, 300);
    await waitFor(() => acked() >= 300, 30_000, 'A acks 201..300 from its spill journal');
    const ackedAtKill = acked();

    const killAt = Date.now();
    await killHard(a);
    const load = loadavg()[0];
    await push(301, 400); // Teams goes on while the bridge moves

    await waitFor(() => sink.events.some((e) => e.type === 'sessionAdopted' && e.workerId === 'w-b'), 30_000, 'sessionAdopted from B');
    // What Blob holds for the call now (A is dead, B has no grant yet): the real durable point.
    const store = await createObjectStore(loadConfig(envB));
    const storedAtKill: number[] = [];
    for await (const o of store.list('')) {
      const m = /\/mixed\/(\d{8})\.pcm$/.exec(o.name);
      if (m?.[1]) storedAtKill.push(Number(m[1]));
    }
    storedAtKill.sort((x, y) => x - y);
    let durableInBlob = 0;
    for (const [i, idx] of storedAtKill.entries()) if (idx === i) durableInBlob = (idx + 1) * 10;
    const adopted = sink.events.find((e) => e.type === 'sessionAdopted');
    expect(adopted).toMatchObject({ workerId: 'w-b', issuer: 'w-a', sessionId, durable: [{ streamId: 'mixed', seq: durableInBlob }] });
    expect(durableInBlob).toBeLessThan(ackedAtKill); // A really acked frames it never put in Blob
    const welcomedAt = bridge.links.at(-1)?.welcomedAt ?? 0;

    // The orchestration re-sends the grant to the adopting worker (functions/orchestrators do it on sessionAdopted).
    const grantAt = Date.now();
    expect((await api(b.url, 'POST', `/sessions/${sessionId}/recording`, { status: 'granted' })).status).toBe(200);
    await push(401, 500);
    await waitFor(() => acked() >= 500, 60_000, 'B acks to the end');
    const link = bridge.links.at(-1);
    expect(link?.address).toBe(`tcp://127.0.0.1:${ports.bBridge}`);
    await bridge.finish(10_000);

    const sealed = await api(b.url, 'POST', `/sessions/${sessionId}/seal`, {});
    expect(sealed.status).toBe(200);

    // The manifest: written by B, the workerLost gap = exactly what A acked but never stored, events tell the move.
    const verifier = await Ed25519FileSigner.fromFile(keyFile, { createIfMissing: false });
    const verdict = await verifyRecording({ callId }, { store, verifier });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.completeness).toBe('declaredGaps');
    expect(verdict.missingFrames).toBe(ackedAtKill - durableInBlob);
    const manifestObj = await store.get(verdict.manifestBlob ?? '');
    const manifest = SignedManifestSchema.parse(JSON.parse(manifestObj?.data.toString('utf8') ?? '{}'));
    expect(manifest.workerId).toBe('w-b');
    const lost = manifest.gaps.filter((g) => g.reason === 'workerLost');
    expect(lost).toMatchObject([{ streamId: 'mixed', fromSeq: durableInBlob + 1, toSeq: ackedAtKill }]);
    expect(manifest.gaps.filter((g) => g.reason === 'bridgeDisconnected')).toEqual([]);
    expect((manifest.events ?? []).map((e) => e.type)).toEqual(expect.arrayContaining(['adopted', 'bridgeConnected', 'granted']));

    // Stored audio = ground truth outside the declared gap; no chunk twice.
    const expected = createHash('sha256');
    for (let seq = 1; seq <= 500; seq++) if (seq <= durableInBlob || seq > ackedAtKill) expected.update(truth.get(seq) ?? Buffer.alloc(0));
    expect(verdict.streams[0]?.sha256).toBe(expected.digest('hex'));
    expect(verdict.streams[0]?.frames).toBe(500 - (ackedAtKill - durableInBlob));
    const chunkNames = manifest.streams[0]?.chunks.map((c) => c.name) ?? [];
    expect(new Set(chunkNames).size).toBe(chunkNames.length);
    expect(chunkNames.every((n) => parseChunkName(manifest.prefix, n) !== undefined)).toBe(true);

    // The CLI's verdict says "with declared gaps", not just INTACT.
    const cli = spawnSync(process.execPath, ['dist/media-worker/src/verify-cli.js', callId], { cwd: REPO, env: { ...process.env, ...envB }, encoding: 'utf8' });
    expect(cli.stdout).toMatch(new RegExp(`call ${callId}: INTACT WITH DECLARED GAPS \\(${ackedAtKill - durableInBlob} frames missing\\)`));
    expect(cli.stdout).toMatch(/gap: mixed seq \d+\.\.\d+ \(\d+ frames\): workerLost/);
    expect(cli.status).toBe(0);

    const firstAck = link?.firstAckAt ?? 0;
    process.stdout.write(
      `handover figures: kill -> WELCOME on B ${welcomedAt - killAt} ms; grant on B -> first ACK from B ${firstAck - grantAt} ms; ` +
        `kill -> first ACK on B ${firstAck - killAt} ms (includes the test's grant); gap ${ackedAtKill - durableInBlob} frames ` +
        `(${durableInBlob + 1}..${ackedAtKill}); load average ${load?.toFixed(2)}\n`,
    );
    b.child.kill('SIGTERM');
  }, 240_000);
});
