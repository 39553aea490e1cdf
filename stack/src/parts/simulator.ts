import { mkdir } from 'node:fs/promises';
import { startNodeService } from './node-service.js';
import type { PartOptions, RunningPart } from './running-part.js';

export const SIMULATOR_ENTRY = 'simulator/src/main.js';
/** Where the simulator publishes the OpenID configuration whose JWKS signs its notification tokens. */
export const SIMULATOR_NOTIFICATION_OPENID_PATH = '/aps/v1/.well-known/OpenIdConfiguration';

/** The simulator's configuration (ARCHITECTURE.md → simulator). */
export interface SimulatorSettings {
  /** 0 = any free port. */
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly botAppId: string;
  readonly botAppSecret: string;
  readonly tenantId: string;
  /** The recorder's global calling webhook; undefined = none yet. */
  readonly recorderNotificationUrl?: string;
  readonly groundTruthDir: string;
}

export interface SimulatorOptions extends PartOptions {
  readonly settings: SimulatorSettings;
}

/** The environment a simulator process reads. */
export function simulatorEnv(s: SimulatorSettings): Record<string, string> {
  return {
    SIM_PORT: String(s.port),
    TLS_CERT_FILE: s.certFile,
    TLS_KEY_FILE: s.keyFile,
    BOT_APP_ID: s.botAppId,
    BOT_APP_SECRET: s.botAppSecret,
    SIM_TENANT_ID: s.tenantId,
    SIM_GROUND_TRUTH_DIR: s.groundTruthDir,
    ...(s.recorderNotificationUrl ? { RECORDER_NOTIFICATION_URL: s.recorderNotificationUrl } : {}),
  };
}

/** What the Functions app needs to talk to a simulator at `url`. */
export function graphEnvFor(url: string): Record<string, string> {
  return {
    SIMULATOR_URL: url,
    GRAPH_BASE_URL: `${url}/v1.0`,
    GRAPH_AUTHORITY_HOST: url,
    GRAPH_NOTIFICATION_OPENID_URL: `${url}${SIMULATOR_NOTIFICATION_OPENID_PATH}`,
  };
}

/** Starts `node dist/simulator/src/main.js` (HTTPS), waits for `READY simulator <url>` and `GET /health` → 200. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningPart> {
  const s = options.settings;
  await mkdir(s.groundTruthDir, { recursive: true });
  return startNodeService(
    {
      name: 'simulator',
      entry: SIMULATOR_ENTRY,
      env: simulatorEnv(s),
      healthPath: '/health',
      clientEnv: graphEnvFor,
    },
    { ...options, caFile: options.caFile ?? s.certFile },
  );
}
