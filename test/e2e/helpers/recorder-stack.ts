// The real recorder stack for e2e tests: simulator (Graph + Teams + bridge role), media-worker, local Functions host
// with the product app, on free ports, wired to the run's Azurite + cosmosdb-server. Stop it in afterAll.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { blobServiceClient, cosmosClient } from '../../helpers/clients.js';
import { stackEnv, uniqueName } from '../../helpers/stack-env.js';
import {
  hasEntry, LOCAL_HOST_ENTRY, MEDIA_WORKER_ENTRY, SIMULATOR_ENTRY, startLocalHostForTest, startMediaWorkerForTest,
  startSimulatorForTest, stopAll, type RunningPart,
} from '../../helpers/start-part.js';

export const WORKER_ID = 'worker-1';

export interface RecorderStackOptions {
  /** Extra app settings (e.g. RECORDER_WATCHDOG_INTERVAL_MS, POLICIES_JSON). */
  settings?: Record<string, string>;
  /** Trust another notification signer (a test's own JWKS) instead of the simulator's. */
  notificationOpenIdUrl?: string;
  /** Extra environment for the media-worker (e.g. MEDIA_WORKER_EVENT_HEARTBEAT_MS). */
  workerEnv?: Record<string, string>;
}

export interface SimCallState {
  id: string;
  state: string;
  legs: { id: string; state: string; outcome: string | null; answerLatencyMs: number | null; recordingStatus: string | null }[];
  users: { key: string; call: string; recording: string; history: { status: string }[] }[];
  deliveries: { legId: string; kind: string; attempts: number; status: number | string }[];
  groundTruth: Record<string, { streams: { streamId: string; frames: number; bytes: number; sha256: string }[] }>;
}

export interface RecorderStack {
  sim: RunningPart;
  worker: RunningPart;
  host: RunningPart;
  tenantId: string;
  botAppId: string;
  container: string;
  database: string;
  notificationUrl: string;
  workerKey: string;
  /** The app settings the local host runs the app with (to build a second instance of the app's dependencies). */
  appSettings: Record<string, string>;
  simCall(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }>;
  startCall(scenario: Record<string, unknown>): Promise<{ id: string; legs: { id: string }[] }>;
  getSimCall(id: string): Promise<SimCallState>;
  waitForSim(id: string, pred: (c: SimCallState) => boolean, timeoutMs?: number): Promise<SimCallState>;
  orchestrationStatus(callId: string): Promise<{ runtimeStatus: string; customStatus: unknown; output: unknown } | null>;
  waitForOrchestration(callId: string, pred: (s: { runtimeStatus: string; customStatus: unknown; output: unknown }) => boolean, timeoutMs?: number): Promise<{ runtimeStatus: string; customStatus: unknown; output: unknown }>;
  conversation(conversationId: string): Promise<Record<string, unknown> | null>;
  blobNames(prefix?: string): Promise<string[]>;
  readBlob(name: string): Promise<Buffer>;
  streamHashes(callFolder: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** Which product parts are missing from dist/ (the e2e suite reports them instead of failing obscurely). */
export function missingParts(): string[] {
  return [SIMULATOR_ENTRY, MEDIA_WORKER_ENTRY, LOCAL_HOST_ENTRY, 'functions/index.js'].filter((e) => !hasEntry(e));
}

/** A port that was free a moment ago (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRecorderStack(options: RecorderStackOptions = {}): Promise<RecorderStack> {
  const env = stackEnv();
  const tenantId = randomUUID();
  const botAppId = randomUUID();
  const botAppSecret = randomBytes(18).toString('base64url');
  const workerKey = randomBytes(18).toString('base64url');
  const container = uniqueName('rec');
  const database = uniqueName('db');
  const parts: RunningPart[] = [];
  try {
    const sim = await startSimulatorForTest({ botAppId, botAppSecret, tenantId });
    parts.push(sim);
    const hostPort = await freePort();
    const hostUrl = `http://127.0.0.1:${hostPort}`;
    const worker = await startMediaWorkerForTest({
      workerId: WORKER_ID, functionsBaseUrl: `${hostUrl}/api`, workerSharedKey: workerKey, recordingsContainer: container, cosmosDatabase: database,
    }, options.workerEnv ? { env: options.workerEnv } : {});
    parts.push(worker);
    const appSettings: Record<string, string> = {
      ...sim.env,
      BOT_APP_ID: botAppId,
      BOT_APP_SECRET: botAppSecret,
      ALLOWED_TENANT_IDS: tenantId,
      CALLBACK_BASE_URL: `${hostUrl}/api`,
      BLOB_CONNECTION_STRING: env.blobConnectionString,
      RECORDINGS_CONTAINER: container,
      COSMOS_ENDPOINT: env.cosmosEndpoint,
      COSMOS_KEY: env.cosmosKey,
      COSMOS_DATABASE: database,
      MEDIA_WORKER_URLS: `${WORKER_ID}=${worker.url}`,
      WORKER_SHARED_KEY: workerKey,
      ...options.settings,
      ...(options.notificationOpenIdUrl ? { GRAPH_NOTIFICATION_OPENID_URL: options.notificationOpenIdUrl } : {}),
    };
    const host = await startLocalHostForTest({ port: hostPort, settings: appSettings });
    parts.push(host);
    const notificationUrl = `${host.url}/api/calling/notifications`;

    const simCall = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${sim.url}${path}`, {
        method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: res.status, json, text };
    };
    const getSimCall = async (id: string) => (await simCall('GET', `/_sim/calls/${id}`)).json as SimCallState;
    const orchestrationStatus = async (callId: string) => {
      const res = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(callId)}`);
      if (res.status === 404) return null;
      return (await res.json()) as { runtimeStatus: string; customStatus: unknown; output: unknown };
    };
    const blobs = blobServiceClient().getContainerClient(container);
    const stack: RecorderStack = {
      sim, worker, host, tenantId, botAppId, container, database, notificationUrl, workerKey, appSettings,
      simCall,
      startCall: async (scenario) => {
        const r = await simCall('POST', '/_sim/calls', { scenario, notificationUrl });
        if (r.status !== 201) throw new Error(`start call: ${r.status} ${r.text}`);
        return r.json as { id: string; legs: { id: string }[] };
      },
      getSimCall,
      waitForSim: async (id, pred, timeoutMs = 60_000) => {
        const until = Date.now() + timeoutMs;
        let last: SimCallState | undefined;
        while (Date.now() < until) {
          last = await getSimCall(id);
          if (pred(last)) return last;
          await sleep(200);
        }
        throw new Error(`simulator condition not reached; last: ${JSON.stringify(last).slice(0, 3000)}`);
      },
      orchestrationStatus,
      waitForOrchestration: async (callId, pred, timeoutMs = 90_000) => {
        const until = Date.now() + timeoutMs;
        let last: Awaited<ReturnType<typeof orchestrationStatus>> = null;
        while (Date.now() < until) {
          last = await orchestrationStatus(callId);
          if (last && pred(last)) return last;
          await sleep(250);
        }
        throw new Error(`orchestration condition not reached; last: ${JSON.stringify(last).slice(0, 3000)}`);
      },
      conversation: async (conversationId) => {
        try {
          const { resource } = await cosmosClient().database(database).container('conversations').item(conversationId, tenantId).read<Record<string, unknown>>();
          return resource ?? null;
        } catch (err) {
          if ((err as { code?: number }).code === 404) return null;
          throw err;
        }
      },
      blobNames: async (prefix) => {
        const names: string[] = [];
        if (!(await blobs.exists())) return names;
        for await (const b of blobs.listBlobsFlat(prefix ? { prefix } : {})) names.push(b.name);
        return names;
      },
      readBlob: async (name) => blobs.getBlockBlobClient(name).downloadToBuffer(),
      streamHashes: async (callFolder) => {
        const byStream = new Map<string, { index: number; name: string }[]>();
        for await (const b of blobs.listBlobsFlat({ prefix: callFolder })) {
          const m = /^([^/]+)\/(\d{8})\.pcm$/.exec(b.name.slice(callFolder.length));
          if (!m?.[1] || !m[2]) continue;
          const list = byStream.get(m[1]) ?? [];
          list.push({ index: Number(m[2]), name: b.name });
          byStream.set(m[1], list);
        }
        const out: Record<string, string> = {};
        for (const [streamId, chunks] of byStream) {
          const h = createHash('sha256');
          for (const c of chunks.sort((a, b) => a.index - b.index)) h.update(await blobs.getBlockBlobClient(c.name).downloadToBuffer());
          out[streamId] = h.digest('hex');
        }
        return out;
      },
      stop: () => stopAll(parts),
    };
    return stack;
  } catch (err) {
    await stopAll(parts);
    throw err;
  }
}

/** A 1:1 PSTN → recorded user call with synthetic tones (no TTS needed), fast pacing. */
export function toneCall(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'e2e-tones',
    kind: 'p2p',
    direction: 'inbound',
    participants: [
      { key: 'trader', kind: 'user', displayName: 'Alice Trader', recorded: true },
      { key: 'client', kind: 'pstn', phone: '+49301234567' },
    ],
    durationMs: 4000,
    media: {
      enabled: true,
      mode: 'mixed',
      pacing: 'realtime',
      script: [
        { speaker: 'client', toneHz: 440, ms: 600 },
        { silenceMs: 200 },
        { speaker: 'trader', toneHz: 660, ms: 600 },
      ],
    },
    ...extra,
  };
}
