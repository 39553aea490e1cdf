// media-worker configuration from the environment (names as in ARCHITECTURE.md), validated once at start.
import { join } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const ms = z.coerce.number().int().positive();

const EnvSchema = z.object({
  MEDIA_WORKER_ID: z.string().min(1).default('worker-1'),
  MEDIA_WORKER_CONTROL_PORT: port.default(7081),
  MEDIA_WORKER_BRIDGE_PORT: port.default(7082),
  MEDIA_WORKER_PUBLIC_HOST: z.string().min(1).default('127.0.0.1'),
  MEDIA_WORKER_BIND_HOST: z.string().min(1).default('127.0.0.1'),
  MEDIA_WORKER_DATA_DIR: z.string().min(1).default(join('.data', 'media-worker')),
  /** `blob` (needs BLOB_CONNECTION_STRING) or `file` (local files under the data dir; bench only). */
  MEDIA_WORKER_SINK: z.enum(['blob', 'file']).optional(),
  /** File sink: fdatasync each group-commit batch before acking (1, default) or rely on the page cache (0). */
  MEDIA_WORKER_FILE_FSYNC: z.enum(['0', '1']).optional(),
  BLOB_CONNECTION_STRING: z.string().min(1).optional(),
  RECORDINGS_CONTAINER: z.string().min(3).default('recordings'),
  COSMOS_ENDPOINT: z.string().url().optional(),
  COSMOS_KEY: z.string().min(1).optional(),
  COSMOS_DATABASE: z.string().min(1).default('recorder'),
  MANIFEST_SIGNING_KEY_FILE: z.string().min(1).optional(),
  WORKER_SHARED_KEY: z.string().min(8, 'WORKER_SHARED_KEY must be at least 8 characters'),
  FUNCTIONS_BASE_URL: z.string().url().optional(),
  MEDIA_WORKER_CHUNK_MS: ms.default(2000),
  MEDIA_WORKER_PRIMARY_TIMEOUT_MS: ms.default(5000),
  MEDIA_WORKER_MAX_INFLIGHT_WRITES: ms.default(64),
  MEDIA_WORKER_CREDIT_FRAMES: ms.default(500),
  MEDIA_WORKER_HEARTBEAT_MS: ms.default(5000),
  MEDIA_WORKER_EVENT_HEARTBEAT_MS: ms.default(15000),
  MEDIA_WORKER_LOG: z.enum(['info', 'warn', 'silent']).default('info'),
  /** Comma list of the other pool workers' bridge addresses (tcp://host:port), put into the local media config. */
  MEDIA_WORKER_ALTERNATE_BRIDGES: z.string().optional(),
  /** How long a session ticket lets any worker of the pool adopt the session. */
  MEDIA_WORKER_TICKET_TTL_MS: ms.default(24 * 3600 * 1000),
});

export interface WorkerConfig {
  workerId: string;
  controlPort: number;
  bridgePort: number;
  publicHost: string;
  bindHost: string;
  dataDir: string;
  sink: 'blob' | 'file';
  fileFsync: boolean;
  blobConnectionString: string | undefined;
  container: string;
  cosmos: { endpoint: string; key: string; database: string } | undefined;
  signingKeyFile: string;
  sharedKey: string;
  functionsBaseUrl: string | undefined;
  chunkDurationMs: number;
  primaryTimeoutMs: number;
  maxInFlightWrites: number;
  creditFrames: number;
  heartbeatIntervalMs: number;
  eventHeartbeatMs: number;
  logLevel: 'info' | 'warn' | 'silent';
  alternateBridges: string[];
  ticketTtlMs: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid media-worker configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const sink = e.MEDIA_WORKER_SINK ?? (e.BLOB_CONNECTION_STRING ? 'blob' : 'file');
  if (sink === 'blob' && !e.BLOB_CONNECTION_STRING) throw new Error('MEDIA_WORKER_SINK=blob needs BLOB_CONNECTION_STRING');
  for (const a of (e.MEDIA_WORKER_ALTERNATE_BRIDGES ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!/^tcp:\/\/[^/:]+:\d{1,5}$/.test(a)) throw new Error(`MEDIA_WORKER_ALTERNATE_BRIDGES: ${a} is not tcp://host:port`);
  }
  if (e.MEDIA_WORKER_CHUNK_MS % 20 !== 0) throw new Error('MEDIA_WORKER_CHUNK_MS must be a multiple of 20');
  return {
    workerId: e.MEDIA_WORKER_ID,
    controlPort: e.MEDIA_WORKER_CONTROL_PORT,
    bridgePort: e.MEDIA_WORKER_BRIDGE_PORT,
    publicHost: e.MEDIA_WORKER_PUBLIC_HOST,
    bindHost: e.MEDIA_WORKER_BIND_HOST,
    dataDir: e.MEDIA_WORKER_DATA_DIR,
    sink,
    fileFsync: e.MEDIA_WORKER_FILE_FSYNC !== '0',
    blobConnectionString: e.BLOB_CONNECTION_STRING,
    container: e.RECORDINGS_CONTAINER,
    cosmos: e.COSMOS_ENDPOINT && e.COSMOS_KEY ? { endpoint: e.COSMOS_ENDPOINT, key: e.COSMOS_KEY, database: e.COSMOS_DATABASE } : undefined,
    signingKeyFile: e.MANIFEST_SIGNING_KEY_FILE ?? join(e.MEDIA_WORKER_DATA_DIR, 'manifest-signing-key.pem'),
    sharedKey: e.WORKER_SHARED_KEY,
    functionsBaseUrl: e.FUNCTIONS_BASE_URL,
    chunkDurationMs: e.MEDIA_WORKER_CHUNK_MS,
    primaryTimeoutMs: e.MEDIA_WORKER_PRIMARY_TIMEOUT_MS,
    maxInFlightWrites: e.MEDIA_WORKER_MAX_INFLIGHT_WRITES,
    creditFrames: e.MEDIA_WORKER_CREDIT_FRAMES,
    heartbeatIntervalMs: e.MEDIA_WORKER_HEARTBEAT_MS,
    eventHeartbeatMs: e.MEDIA_WORKER_EVENT_HEARTBEAT_MS,
    logLevel: e.MEDIA_WORKER_LOG,
    alternateBridges: (e.MEDIA_WORKER_ALTERNATE_BRIDGES ?? '').split(',').map((a) => a.trim()).filter((a) => a.length > 0),
    ticketTtlMs: e.MEDIA_WORKER_TICKET_TTL_MS,
  };
}
