// A lost media-worker that comes back: the scenario of handover-kill.test.ts (A killed while its Blob path stalls, so
// acked chunks are only in its spill journal; B adopts and seals with a workerLost gap), then A restarts on its data
// folder: it drains its spilled chunks to Blob and files a signed supplement next to B's manifest (never rewritten).
// verify: the gap is filled later by w-a, the whole stream equals the simulator's ground truth, and tampering with a
// recovered chunk or the supplement fails and names the file.
// (The proxy and event sink are copies of handover-kill.test.ts's local helpers, which that file does not export.)
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_SOURCE_ID, decodeLocalMediaConfig, parseBridgeAddress } from '../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema } from '../../contracts/worker-api/index.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import { loadConfig } from '../../media-worker/src/config.js';
import { SignedManifestSchema } from '../../media-worker/src/manifest/manifest.js';
import { SignedSupplementSchema } from '../../media-worker/src/manifest/supplement.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import { BridgeSession } from '../../simulator/src/media/bridge-session.js';
import { createLogger } from '../../simulator/src/log.js';
import { blobServiceClient } from '../helpers/clients.js';
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

describe('handover: the lost worker comes back', () => {
  it('A restarts after B sealed: its spilled chunks reach Blob with a signed supplement; verify: gap filled by w-a, stream = ground truth; tampering fails', async () => {
    const blobCs = stackEnv().blobConnectionString;
    const blobEndpoint = /BlobEndpoint=(http:\/\/[^;]+)/.exec(blobCs)?.[1];
    if (!blobEndpoint) throw new Error(`no BlobEndpoint in ${blobCs}`);
    const azurite = new URL(blobEndpoint);
    const proxy = new StallableProxy({ host: azurite.hostname, port: Number(azurite.port) });
    const proxyPort = await proxy.listen();
    closers.push(() => proxy.close());
    const sink = await eventSink();
    closers.push(() => sink.server.close());

    const container = uniqueName('handreturn');
    const keyFile = join(await tempDir('handreturn-key'), 'manifest-signing-key.pem');
    await Ed25519FileSigner.fromFile(keyFile);
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
    const dataA = await tempDir('handreturn-a');
    const envA = {
      ...common,
      MEDIA_WORKER_ID: 'w-a',
      MEDIA_WORKER_CONTROL_PORT: String(ports.aControl),
      MEDIA_WORKER_BRIDGE_PORT: String(ports.aBridge),
      MEDIA_WORKER_DATA_DIR: dataA,
      BLOB_CONNECTION_STRING: blobCs.replace(blobEndpoint, `http://127.0.0.1:${proxyPort}${azurite.pathname}`),
      MEDIA_WORKER_PRIMARY_TIMEOUT_MS: '300',
      MEDIA_WORKER_ALTERNATE_BRIDGES: `tcp://127.0.0.1:${ports.bBridge}`,
    };
    const envB = {
      ...common,
      MEDIA_WORKER_ID: 'w-b',
      MEDIA_WORKER_CONTROL_PORT: String(ports.bControl),
      MEDIA_WORKER_BRIDGE_PORT: String(ports.bBridge),
      MEDIA_WORKER_DATA_DIR: await tempDir('handreturn-b'),
      BLOB_CONNECTION_STRING: blobCs,
      MEDIA_WORKER_ALTERNATE_BRIDGES: `tcp://127.0.0.1:${ports.aBridge}`,
    };
    const [a, b] = await Promise.all([spawnWorker(envA), spawnWorker(envB)]);
    running.push(a, b);

    const callId = uniqueName('call');
    const reserved = await api(a.url, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
    expect(reserved.status).toBe(201);
    const { sessionId, mediaConfig } = ReserveSessionResponseSchema.parse(reserved.json);
    const cfg = decodeLocalMediaConfig(mediaConfig.blob);
    const bridge = new BridgeSession(
      { host: cfg.host, port: cfg.port, sessionId: cfg.sessionId, token: cfg.token, callId, alternates: (cfg.alternates ?? []).map(parseBridgeAddress) },
      createLogger({ test: 'handover-return' }, true),
      (reason) => {
        throw new Error(`bridge gave up: ${reason}`);
      },
      { giveUpMs: 60_000, maxBackoffMs: 500, maxRetainFrames: 30_000, retriesPerWorker: 2 },
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
    const acked = (): number => bridge.ackedFrames;

    expect((await api(a.url, 'POST', `/sessions/${sessionId}/recording`, { status: 'granted' })).status).toBe(200);
    await push(1, 200);
    await waitFor(() => acked() >= 200, 30_000, 'A acks 1..200 (stored in Blob)');
    proxy.stall();
    await push(201, 300);
    await waitFor(() => acked() >= 300, 30_000, 'A acks 201..300 from its spill journal');
    const ackedAtKill = acked();
    await killHard(a);
    await push(301, 400);
    await waitFor(() => sink.events.some((e) => e.type === 'sessionAdopted' && e.workerId === 'w-b'), 30_000, 'sessionAdopted from B');
    const adopted = sink.events.find((e) => e.type === 'sessionAdopted');
    const durableInBlob = adopted && 'durable' in adopted ? (adopted.durable[0]?.seq ?? 0) : 0;
    expect(durableInBlob).toBeLessThan(ackedAtKill);
    expect((await api(b.url, 'POST', `/sessions/${sessionId}/recording`, { status: 'granted' })).status).toBe(200);
    await push(401, 500);
    await waitFor(() => acked() >= 500, 60_000, 'B acks to the end');
    await bridge.finish(10_000);
    expect((await api(b.url, 'POST', `/sessions/${sessionId}/seal`, {})).status).toBe(200);

    const store = await createObjectStore(loadConfig(envB));
    const verifier = await Ed25519FileSigner.fromFile(keyFile, { createIfMissing: false });
    const before = await verifyRecording({ callId }, { store, verifier });
    expect(before).toMatchObject({ ok: true, completeness: 'declaredGaps', missingFrames: ackedAtKill - durableInBlob, supplements: [] });
    const manifestBlob = before.manifestBlob ?? '';
    const manifestBytes = (await store.get(manifestBlob))?.data.toString('utf8');

    // A comes back on its data folder, its Blob path working again.
    const restartAt = Date.now();
    const returned = await spawnWorker({ ...envA, BLOB_CONNECTION_STRING: blobCs, MEDIA_WORKER_CONTROL_PORT: String(await freePort()), MEDIA_WORKER_BRIDGE_PORT: String(await freePort()) });
    running.push(returned);
    const prefix = manifestBlob.slice(0, -'manifest.json'.length);
    const supplementBlob = `${prefix}supplement-w-a-1.json`;
    await waitFor(async () => (await store.get(supplementBlob)) !== undefined, 60_000, 'A files its supplement');
    const filedMs = Date.now() - restartAt;

    // The manifest is B's, unchanged; the supplement links to its bytes and names the gap it fills.
    expect((await store.get(manifestBlob))?.data.toString('utf8')).toBe(manifestBytes);
    const supplement = SignedSupplementSchema.parse(JSON.parse((await store.get(supplementBlob))?.data.toString('utf8') ?? '{}'));
    expect(supplement).toMatchObject({ workerId: 'w-a', callId, manifestBlob, manifestSha256: createHash('sha256').update(manifestBytes ?? '').digest('hex') });
    expect(supplement.fills).toEqual([{ streamId: 'mixed', fromSeq: durableInBlob + 1, toSeq: ackedAtKill, reason: 'workerLost' }]);
    expect(supplement.chunks.reduce((n, c) => n + c.frames, 0)).toBe(ackedAtKill - durableInBlob);
    const manifest = SignedManifestSchema.parse(JSON.parse(manifestBytes ?? '{}'));
    const inManifest = new Set(manifest.streams.flatMap((s) => s.chunks.map((c) => c.name)));
    expect(supplement.chunks.every((c) => !inManifest.has(c.name))).toBe(true);

    const after = await verifyRecording({ callId }, { store, verifier });
    expect(after.problems).toEqual([]);
    expect(after).toMatchObject({ ok: true, completeness: 'completeWithRecovery', missingFrames: 0, supplements: [supplementBlob] });
    expect(after.declaredGaps.find((g) => g.reason === 'workerLost')?.filled).toEqual({ workerIds: ['w-a'], frames: ackedAtKill - durableInBlob, complete: true, supplements: [supplementBlob] });
    const truth = bridge.summary().streams.find((s) => s.streamId === 'mixed');
    expect(after.streams[0]).toMatchObject({ frames: 500, recoveredFrames: ackedAtKill - durableInBlob });
    expect(after.streams[0]?.sha256).toBe(truth?.generatedSha256);

    const cli = (): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, ['dist/media-worker/src/verify-cli.js', callId], { cwd: REPO, env: { ...process.env, ...envB }, encoding: 'utf8' });
    const ok = cli();
    expect(ok.stdout).toMatch(new RegExp(`call ${callId}: INTACT \\(complete with recovery: every declared gap filled later by w-a, ${ackedAtKill - durableInBlob} frames recovered\\)`));
    expect(ok.stdout).toMatch(new RegExp(`workerLost - gap filled later by w-a \\(${ackedAtKill - durableInBlob} frames recovered\\)`));
    expect(ok.status).toBe(0);

    // Tampering with a recovered chunk fails and names it.
    const blobs = blobServiceClient().getContainerClient(container);
    const victim = supplement.chunks[0]?.name ?? '';
    const original = (await store.get(victim))?.data ?? Buffer.alloc(0);
    const flipped = Buffer.from(original);
    flipped[0] = (flipped[0] ?? 0) ^ 0xff;
    await blobs.getBlockBlobClient(victim).uploadData(flipped);
    const tampered = await verifyRecording({ callId }, { store, verifier });
    expect(tampered.ok).toBe(false);
    expect(tampered.problems).toContain(`supplement ${supplementBlob}: chunk ${victim}: SHA-256 of the stored bytes does not match the supplement`);
    const bad = cli();
    expect(bad.stdout).toMatch(/NOT INTACT/);
    expect(bad.stdout).toContain(victim);
    expect(bad.status).toBe(1);
    await blobs.getBlockBlobClient(victim).uploadData(original);

    // Tampering with the supplement itself (claims another gap's frames) fails its signature and names the file.
    const forged = { ...supplement, fills: [{ ...supplement.fills[0], reason: 'bridgeDisconnected' }] };
    await blobs.getBlockBlobClient(supplementBlob).uploadData(Buffer.from(JSON.stringify(forged)));
    const forgedVerdict = await verifyRecording({ callId }, { store, verifier });
    expect(forgedVerdict.ok).toBe(false);
    expect(forgedVerdict.problems).toContain(`supplement ${supplementBlob}: signature does not verify`);

    // A stored chunk outside both the manifest and the supplements is still an error.
    await blobs.getBlockBlobClient(supplementBlob).uploadData(Buffer.from(JSON.stringify(supplement, null, 1)));
    const stray = `${prefix}mixed/00009999.pcm`;
    await blobs.getBlockBlobClient(stray).uploadData(Buffer.from('stray'));
    const strayVerdict = await verifyRecording({ callId }, { store, verifier });
    expect(strayVerdict.ok).toBe(false);
    expect(strayVerdict.problems).toContain(`stored chunk ${stray} is not in the manifest`);

    process.stdout.write(`handover-return figures: A restart (spawn) -> supplement stored ${filedMs} ms; ${ackedAtKill - durableInBlob} frames recovered (${durableInBlob + 1}..${ackedAtKill})\n`);
    returned.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
  }, 300_000);
});
