/**
 * The app's configuration: read from `process.env` once, validated with zod. Names follow ARCHITECTURE.md; tuning
 * knobs (timings) are optional and carry their unit in the name.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_POLICIES, parsePolicies, type PolicyFile } from './domain/policy.js';
import { parseWorkerUrls } from './domain/worker-choice.js';
import type { LifecycleSettings } from './domain/signals.js';

const csv = z.string().transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x.length > 0));
const ms = (def: number) => z.coerce.number().int().positive().default(def);

const envSchema = z.object({
  BOT_APP_ID: z.string().min(1),
  BOT_APP_SECRET: z.string().min(1),
  GRAPH_BASE_URL: z.url(),
  GRAPH_AUTHORITY_HOST: z.url(),
  GRAPH_NOTIFICATION_OPENID_URL: z.url(),
  ALLOWED_TENANT_IDS: csv.refine((l) => l.length > 0, 'at least one tenant id'),
  CALLBACK_BASE_URL: z.url(),
  BLOB_CONNECTION_STRING: z.string().min(1).optional(),
  BLOB_ACCOUNT_URL: z.url().optional(),
  RECORDINGS_CONTAINER: z.string().min(3).default('recordings'),
  COSMOS_ENDPOINT: z.url(),
  COSMOS_KEY: z.string().min(1).optional(),
  COSMOS_DATABASE: z.string().min(1).default('recorder'),
  COSMOS_CONVERSATIONS_CONTAINER: z.string().min(1).default('conversations'),
  MEDIA_WORKER_URLS: z.string().min(1),
  WORKER_SHARED_KEY: z.string().min(8),
  POLICY_FILE: z.string().min(1).optional(),
  POLICIES_JSON: z.string().min(1).optional(),
  /** Orchestration timings (the simulator and tests shorten them). */
  RECORDER_ESTABLISH_TIMEOUT_MS: ms(60_000),
  RECORDER_KEEPALIVE_INTERVAL_MS: ms(15 * 60_000),
  RECORDER_WATCHDOG_INTERVAL_MS: ms(5 * 60_000),
  RECORDER_ANSWER_WAIT_TIMEOUT_MS: ms(30_000),
  RECORDER_RECORDING_CONFIRM_TIMEOUT_MS: ms(30_000),
  /** No media-worker heartbeat for this long → the call's worker is shown as lost (3 × the worker's 15 s events). */
  RECORDER_WORKER_HEARTBEAT_TIMEOUT_MS: ms(45_000),
  RECORDER_MAX_EVENTS_PER_EXECUTION: ms(300),
  /** Timeouts of outbound calls on the answer path (Graph's limit for policy calls is 5 s end to end). */
  RECORDER_WORKER_TIMEOUT_MS: ms(1_500),
  RECORDER_GRAPH_TIMEOUT_MS: ms(3_000),
});

export interface AppConfig {
  botAppId: string;
  botAppSecret: string;
  graphBaseUrl: string;
  graphAuthorityHost: string;
  notificationOpenIdUrl: string;
  allowedTenantIds: string[];
  callbackBaseUrl: string;
  blob: { connectionString: string } | { accountUrl: string };
  recordingsContainer: string;
  cosmos: { endpoint: string; key: string | undefined; database: string; conversationsContainer: string };
  workers: { workerId: string; controlUrl: string }[];
  workerSharedKey: string;
  policies: PolicyFile;
  lifecycle: LifecycleSettings;
  workerTimeoutMs: number;
  graphTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const blob = e.BLOB_CONNECTION_STRING
    ? { connectionString: e.BLOB_CONNECTION_STRING }
    : e.BLOB_ACCOUNT_URL
      ? { accountUrl: e.BLOB_ACCOUNT_URL }
      : null;
  if (!blob) throw new ConfigError('invalid configuration: BLOB_CONNECTION_STRING or BLOB_ACCOUNT_URL is required');
  let policies = DEFAULT_POLICIES;
  try {
    if (e.POLICIES_JSON) policies = parsePolicies(e.POLICIES_JSON);
    else if (e.POLICY_FILE) policies = parsePolicies(readFileSync(e.POLICY_FILE, 'utf8'));
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
  let workers;
  try {
    workers = parseWorkerUrls(e.MEDIA_WORKER_URLS);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
  if (workers.length === 0) throw new ConfigError('invalid configuration: MEDIA_WORKER_URLS lists no worker');
  return {
    botAppId: e.BOT_APP_ID,
    botAppSecret: e.BOT_APP_SECRET,
    graphBaseUrl: e.GRAPH_BASE_URL.replace(/\/+$/, ''),
    graphAuthorityHost: e.GRAPH_AUTHORITY_HOST.replace(/\/+$/, ''),
    notificationOpenIdUrl: e.GRAPH_NOTIFICATION_OPENID_URL,
    allowedTenantIds: e.ALLOWED_TENANT_IDS,
    callbackBaseUrl: e.CALLBACK_BASE_URL.replace(/\/+$/, ''),
    blob,
    recordingsContainer: e.RECORDINGS_CONTAINER,
    cosmos: { endpoint: e.COSMOS_ENDPOINT, key: e.COSMOS_KEY, database: e.COSMOS_DATABASE, conversationsContainer: e.COSMOS_CONVERSATIONS_CONTAINER },
    workers,
    workerSharedKey: e.WORKER_SHARED_KEY,
    policies,
    lifecycle: {
      establishTimeoutMs: e.RECORDER_ESTABLISH_TIMEOUT_MS,
      keepAliveIntervalMs: e.RECORDER_KEEPALIVE_INTERVAL_MS,
      watchdogIntervalMs: e.RECORDER_WATCHDOG_INTERVAL_MS,
      answerWaitTimeoutMs: e.RECORDER_ANSWER_WAIT_TIMEOUT_MS,
      recordingConfirmTimeoutMs: e.RECORDER_RECORDING_CONFIRM_TIMEOUT_MS,
      maxEventsPerExecution: e.RECORDER_MAX_EVENTS_PER_EXECUTION,
      workerHeartbeatTimeoutMs: e.RECORDER_WORKER_HEARTBEAT_TIMEOUT_MS,
    },
    workerTimeoutMs: e.RECORDER_WORKER_TIMEOUT_MS,
    graphTimeoutMs: e.RECORDER_GRAPH_TIMEOUT_MS,
  };
}
