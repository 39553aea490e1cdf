// A lost media-worker with every real part: simulator (Graph + Teams + bridge role), two media-workers, the local
// Functions host with the app. The call records on the worker the answer path picked; that worker is killed (-9, no
// restart); the simulator's bridge moves the session to the other worker with the session ticket; the orchestration
// re-pins the call on `sessionAdopted`, re-sends the grant; the call ends, the seal happens on the new worker and the
// recording verifies. A stale `sessionAdopted` posted afterwards does not pin the call back.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_KEY_HEADER } from '../../contracts/worker-api/index.js';
import { createObjectStore } from '../../media-worker/src/clients.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import { stackEnv, tempDir, uniqueName } from '../helpers/stack-env.js';
import {
  startLocalHostForTest, startMediaWorkerForTest, startSimulatorForTest, stopAll, type RunningPart,
} from '../helpers/start-part.js';
import { freePort, missingParts, toneCall } from './helpers/recorder-stack.js';

const missing = missingParts();
const parts: RunningPart[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Status { runtimeStatus: string; customStatus: unknown; output: unknown }
interface Live { workerId: string | null; sessionId: string | null; recordingStatus: string; worker?: { lostSince: string | null; adoptions: number; previous: string[] } }

let ctx: {
  sim: RunningPart; host: RunningPart; workers: Record<string, RunningPart>; container: string; workerKey: string; keyFile: string; tenantId: string;
};

beforeAll(async () => {
  if (missing.length > 0) return;
  const env = stackEnv();
  const tenantId = randomUUID();
  const botAppId = randomUUID();
  const botAppSecret = randomBytes(18).toString('base64url');
  const workerKey = randomBytes(18).toString('base64url');
  const container = uniqueName('handover');
  const database = uniqueName('db');
  const keyFile = join(await tempDir('pool-key'), 'manifest-signing-key.pem');
  await Ed25519FileSigner.fromFile(keyFile); // one signing key for the pool
  const sim = await startSimulatorForTest({ botAppId, botAppSecret, tenantId });
  parts.push(sim);
  const hostPort = await freePort();
  const hostUrl = `http://127.0.0.1:${hostPort}`;
  const bridgePorts = { 'worker-a': await freePort(), 'worker-b': await freePort() };
  const workers: Record<string, RunningPart> = {};
  for (const [id, other] of [['worker-a', 'worker-b'], ['worker-b', 'worker-a']] as const) {
    workers[id] = await startMediaWorkerForTest(
      {
        workerId: id, functionsBaseUrl: `${hostUrl}/api`, workerSharedKey: workerKey, recordingsContainer: container, cosmosDatabase: database,
        bridgePort: bridgePorts[id], manifestSigningKeyFile: keyFile,
      },
      { env: { MEDIA_WORKER_ALTERNATE_BRIDGES: `tcp://127.0.0.1:${bridgePorts[other]}`, MEDIA_WORKER_EVENT_HEARTBEAT_MS: '1000', MEDIA_WORKER_CHUNK_MS: '400' } },
    );
    parts.push(workers[id]);
  }
  const host = await startLocalHostForTest({
    port: hostPort,
    settings: {
      ...sim.env,
      BOT_APP_ID: botAppId, BOT_APP_SECRET: botAppSecret, ALLOWED_TENANT_IDS: tenantId, CALLBACK_BASE_URL: `${hostUrl}/api`,
      BLOB_CONNECTION_STRING: env.blobConnectionString, RECORDINGS_CONTAINER: container,
      COSMOS_ENDPOINT: env.cosmosEndpoint, COSMOS_KEY: env.cosmosKey, COSMOS_DATABASE: database,
      MEDIA_WORKER_URLS: Object.entries(workers).map(([id, w]) => `${id}=${w.url}`).join(','),
      WORKER_SHARED_KEY: workerKey,
      RECORDER_WORKER_HEARTBEAT_TIMEOUT_MS: '4000',
    },
  });
  parts.push(host);
  ctx = { sim, host, workers, container, workerKey, keyFile, tenantId };
}, 240_000);

afterAll(async () => {
  await stopAll(parts);
});

async function status(callId: string): Promise<Status | null> {
  const res = await fetch(`${ctx.host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(callId)}`);
  if (res.status === 404) return null;
  return (await res.json()) as Status;
}

async function waitStatus(callId: string, pred: (s: Status) => boolean, timeoutMs: number): Promise<Status> {
  const until = Date.now() + timeoutMs;
  let last: Status | null = null;
  while (Date.now() < until) {
    last = await status(callId);
    if (last && pred(last)) return last;
    await sleep(200);
  }
  throw new Error(`orchestration condition not reached; last: ${JSON.stringify(last).slice(0, 2000)}`);
}

const live = (s: Status): Live => s.customStatus as Live;

describe.skipIf(missing.length > 0)('handover across media-workers (e2e)', () => {
  it('kill -9 of the call\'s worker: the bridge moves, the orchestration follows, the seal happens on the other worker, verify passes', async () => {
    const res = await fetch(`${ctx.sim.url}/_sim/calls`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scenario: toneCall({ durationMs: 20_000 }), notificationUrl: `${ctx.host.url}/api/calling/notifications` }),
    });
    expect(res.status).toBe(201);
    const started = (await res.json()) as { id: string; legs: { id: string }[] };
    const legId = started.legs[0]?.id ?? '';
    const recording = await waitStatus(legId, (s) => live(s)?.recordingStatus === 'recording', 90_000);
    const first = live(recording).workerId ?? '';
    const second = first === 'worker-a' ? 'worker-b' : 'worker-a';
    await sleep(1500); // some audio stored on the first worker
    const killAt = Date.now();
    await ctx.workers[first]?.kill();
    const load = loadavg()[0];

    const moved = await waitStatus(legId, (s) => live(s)?.workerId === second, 60_000);
    const movedAt = Date.now();
    expect(live(moved).worker).toMatchObject({ adoptions: 1, previous: [first] });

    // A stale adoption (older than the pin) from the lost worker does not pin the call back.
    const stale = {
      type: 'sessionAdopted', callId: legId, sessionId: live(moved).sessionId, workerId: first, at: new Date(killAt - 60_000).toISOString(),
      eventId: randomUUID(), issuer: first, durable: [],
    };
    const posted = await fetch(`${ctx.host.url}/api/media-events`, {
      method: 'POST', headers: { 'content-type': 'application/json', [WORKER_KEY_HEADER]: ctx.workerKey }, body: JSON.stringify(stale),
    });
    expect(posted.status).toBe(202);

    const done = await waitStatus(legId, (s) => ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus), 120_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(live(done)).toMatchObject({ workerId: second, worker: { adoptions: 1, previous: [first] } });
    expect(done.output).toMatchObject({ lifecycle: 'finalized', recordingStatus: 'recording' });

    // Sealed by the second worker; verify passes (complete, or with gaps it declares).
    const store = await createObjectStore({ sink: 'blob', blobConnectionString: stackEnv().blobConnectionString, container: ctx.container, dataDir: await tempDir('verify') });
    const verifier = await Ed25519FileSigner.fromFile(ctx.keyFile, { createIfMissing: false });
    const verdict = await verifyRecording({ callId: legId }, { store, verifier });
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    const manifest = JSON.parse((await store.get(verdict.manifestBlob ?? ''))?.data.toString('utf8') ?? '{}') as { workerId: string; events?: { type: string; workerId: string }[]; gaps: { reason: string; fromSeq: number; toSeq: number }[] };
    expect(manifest.workerId).toBe(second);
    expect(manifest.events?.some((e) => e.type === 'adopted' && e.workerId === second)).toBe(true);

    // Compare with what Teams sent: all of it when nothing was lost, otherwise exactly the declared frames are missing.
    const simCall = (await (await fetch(`${ctx.sim.url}/_sim/calls/${started.id}`)).json()) as { groundTruth: Record<string, { streams: { streamId: string; generatedFrames?: number; generatedSha256?: string }[] }> };
    const truth = simCall.groundTruth[legId]?.streams.find((s) => s.streamId === 'mixed');
    const stored = verdict.streams.find((s) => s.streamId === 'mixed');
    if (verdict.completeness === 'complete') {
      expect(stored?.sha256).toBe(truth?.generatedSha256);
    } else {
      expect(manifest.gaps.filter((g) => g.reason === 'workerLost' || g.reason === 'bridgeDisconnected').length).toBeGreaterThan(0);
      expect((stored?.frames ?? 0) + verdict.missingFrames).toBe(truth?.generatedFrames);
    }
    process.stdout.write(
      `e2e handover: ${first} killed, call re-pinned to ${second} ${movedAt - killAt} ms later (status poll 200 ms); ` +
        `verify ${verdict.completeness}, ${verdict.missingFrames} frames missing; load average ${load?.toFixed(2)}\n`,
    );
  }, 300_000);
});
