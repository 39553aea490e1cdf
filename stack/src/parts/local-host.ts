import { mkdir } from 'node:fs/promises';
import { startNodeService } from './node-service.js';
import type { PartOptions, RunningPart } from './running-part.js';

export const LOCAL_HOST_ENTRY = 'local-host/src/cli.js';

export interface LocalHostOptions extends PartOptions {
  /** The Functions app folder (holds host.json and package.json `main`); the repo root for the product. */
  readonly appDir: string;
  /** 0 = any free port (the READY line carries the real one). */
  readonly port: number;
  /** The host's own state (Durable store, keys, timer status). */
  readonly dataDir: string;
  /** App settings, passed as environment (like Azure's application settings). */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * A settings file (local.settings.json format) used instead of the app folder's `local.settings.json`, whose Values
   * would otherwise overlay `settings`.
   */
  readonly settingsFile?: string;
  /** Flags for node itself (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the host). */
  readonly nodeArgs?: readonly string[];
}

/**
 * Starts `node dist/local-host/src/cli.js start --app <dir> --port <p> --data <dir>`, waits for
 * `READY local-host <url>` and `GET /admin/host/status` → 200.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<RunningPart> {
  await mkdir(options.dataDir, { recursive: true });
  return startNodeService(
    {
      name: 'local-host',
      entry: LOCAL_HOST_ENTRY,
      args: [
        'start', '--app', options.appDir, '--port', String(options.port), '--data', options.dataDir,
        ...(options.settingsFile ? ['--settings', options.settingsFile] : []),
      ],
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      env: { ...options.settings },
      healthPath: '/admin/host/status',
      clientEnv: (url) => ({ FUNCTIONS_HOST_URL: url, FUNCTIONS_BASE_URL: `${url}/api` }),
    },
    { ...options, readyTimeoutMs: options.readyTimeoutMs ?? 90_000 },
  );
}
