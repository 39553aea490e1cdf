// Simulator configuration from the environment (names per ARCHITECTURE.md).
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SimConfig {
  port: number;
  host: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  botAppId: string;
  botAppSecret: string;
  tenantId: string;
  /** The recorder's global calling webhook; incoming-call notifications go here. */
  recorderNotificationUrl?: string;
  groundTruthDir: string;
  /** Simulated seconds per real second for long timers (keepAlive, call durations). */
  clockScale: number;
  /** How the bridge role carries sessions: shared links (protocol version 2, default) or a connection per leg. */
  bridgeTransport?: 'sharedLink' | 'dedicated';
}

export const DEFAULT_TENANT_ID = 'aaaaaaaa-1111-2222-3333-444444444444';
export const DEFAULT_BOT_APP_ID = 'e5f6a7b8-0000-4000-8000-0000000000b0';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): SimConfig {
  const port = Number(env.SIM_PORT ?? '7090');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SIM_PORT is not a port: ${env.SIM_PORT}`);
  const clockScale = Number(env.SIM_CLOCK_SCALE ?? '1');
  if (!(clockScale > 0)) throw new Error(`SIM_CLOCK_SCALE must be > 0: ${env.SIM_CLOCK_SCALE}`);
  const bridgeTransport = env.SIM_BRIDGE_TRANSPORT ?? 'sharedLink';
  if (bridgeTransport !== 'sharedLink' && bridgeTransport !== 'dedicated') {
    throw new Error(`SIM_BRIDGE_TRANSPORT must be sharedLink or dedicated: ${bridgeTransport}`);
  }
  return {
    port,
    host: env.SIM_HOST ?? '127.0.0.1',
    tlsCertFile: env.TLS_CERT_FILE || undefined,
    tlsKeyFile: env.TLS_KEY_FILE || undefined,
    botAppId: env.BOT_APP_ID ?? DEFAULT_BOT_APP_ID,
    botAppSecret: env.BOT_APP_SECRET ?? 'sim-secret',
    tenantId: env.SIM_TENANT_ID ?? DEFAULT_TENANT_ID,
    recorderNotificationUrl: env.RECORDER_NOTIFICATION_URL || undefined,
    groundTruthDir: env.SIM_GROUND_TRUTH_DIR ?? join(tmpdir(), 'sim-ground-truth'),
    clockScale,
    bridgeTransport,
  };
}
