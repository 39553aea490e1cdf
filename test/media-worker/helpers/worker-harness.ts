// Test harness: an in-process media-worker on port 0 against the run's Azurite, a control-API client, and PCM frames.
import { createHash } from 'node:crypto';
import { decodeLocalMediaConfig } from '../../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema, WORKER_KEY_HEADER } from '../../../contracts/worker-api/index.js';
import { ReferenceBridgeClient } from '../../../media-worker/src/bridge/reference-bridge-client.js';
import { loadConfig, type WorkerConfig } from '../../../media-worker/src/config.js';
import { startWorker, type RunningWorker, type WorkerOverrides } from '../../../media-worker/src/worker.js';
import { stackEnv, tempDir, uniqueName } from '../../helpers/stack-env.js';

export const SHARED_KEY = 'test-worker-key-0123456789';

export async function testConfig(env: Record<string, string> = {}): Promise<WorkerConfig> {
  const dataDir = await tempDir('mw');
  return loadConfig({
    MEDIA_WORKER_ID: 'w-test',
    MEDIA_WORKER_CONTROL_PORT: '0',
    MEDIA_WORKER_BRIDGE_PORT: '0',
    MEDIA_WORKER_DATA_DIR: dataDir,
    BLOB_CONNECTION_STRING: stackEnv().blobConnectionString,
    RECORDINGS_CONTAINER: uniqueName('rec'),
    WORKER_SHARED_KEY: SHARED_KEY,
    MEDIA_WORKER_LOG: 'warn',
    MEDIA_WORKER_CHUNK_MS: '200',
    ...env,
  });
}

export async function startTestWorker(env: Record<string, string> = {}, overrides: WorkerOverrides = {}): Promise<{ worker: RunningWorker; config: WorkerConfig }> {
  const config = await testConfig(env);
  return { worker: await startWorker(config, overrides), config };
}

export async function api(base: string, method: string, path: string, body?: unknown, key = SHARED_KEY): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', [WORKER_KEY_HEADER]: key },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

export interface OpenedSession {
  sessionId: string;
  callId: string;
  client: ReferenceBridgeClient;
  token: string;
  host: string;
  port: number;
}

export async function reserveAndConnect(base: string, callId = uniqueName('call'), connectNow = true): Promise<OpenedSession> {
  const res = await api(base, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
  if (res.status !== 201) throw new Error(`reserve failed: ${res.status} ${JSON.stringify(res.json)}`);
  const reserved = ReserveSessionResponseSchema.parse(res.json);
  const cfg = decodeLocalMediaConfig(reserved.mediaConfig.blob);
  const client = new ReferenceBridgeClient({ host: cfg.host, port: cfg.port, sessionId: cfg.sessionId, token: cfg.token, callId });
  if (connectNow) await client.connect();
  return { sessionId: reserved.sessionId, callId, client, token: cfg.token, host: cfg.host, port: cfg.port };
}

/** Deterministic PCM for (stream, seq): a sine-ish pattern plus the seq, so every frame differs. */
export function pcm(streamId: string, seq: number): Buffer {
  const b = Buffer.allocUnsafe(640);
  const salt = createHash('sha256').update(streamId).digest().readUInt16LE(0);
  for (let i = 0; i < 320; i++) b.writeInt16LE(((Math.sin((seq * 320 + i) / 9) * 8000) | 0) ^ ((seq + salt) & 0xff), i * 2);
  return b;
}

export function frame(streamId: string, seq: number, speakers: number[] = [1]): { seq: number; timestamp: bigint; flags: number; activeSpeakers: number[]; payload: Buffer } {
  return { seq, timestamp: 130_000_000_000_000_000n + BigInt(seq) * 200_000n, flags: 0, activeSpeakers: speakers, payload: pcm(streamId, seq) };
}

export async function sendFrames(client: ReferenceBridgeClient, streamId: string, from: number, to: number): Promise<void> {
  for (let s = from; s <= to; s++) await client.send(streamId, frame(streamId, s));
}

export function expectedSha(streamId: string, from: number, to: number): string {
  const h = createHash('sha256');
  for (let s = from; s <= to; s++) h.update(pcm(streamId, s));
  return h.digest('hex');
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
