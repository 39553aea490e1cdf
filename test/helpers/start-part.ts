// Start the product's processes for an e2e test, wired to the run's Azurite + cosmosdb-server, on free ports.
// Stop what you start in afterAll: `await stopAll(parts)`.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startLocalHost, type LocalHostOptions } from '../../stack/src/parts/local-host.js';
import { startMediaWorker, type MediaWorkerSettings } from '../../stack/src/parts/media-worker.js';
import { hasEntry, PartUnavailableError } from '../../stack/src/parts/node-service.js';
import type { PartOptions, RunningPart } from '../../stack/src/parts/running-part.js';
import { startSimulator, type SimulatorSettings } from '../../stack/src/parts/simulator.js';
import { REPO_ROOT } from '../../stack/src/repo-paths.js';
import { stackEnv, tempDir } from './stack-env.js';

export { hasEntry, PartUnavailableError, REPO_ROOT };
export type { RunningPart };
export { LOCAL_HOST_ENTRY } from '../../stack/src/parts/local-host.js';
export { MEDIA_WORKER_ENTRY } from '../../stack/src/parts/media-worker.js';
export { SIMULATOR_ENTRY, graphEnvFor } from '../../stack/src/parts/simulator.js';

/** Child output goes to the console only with TEST_STACK_LOGS=1. */
const log = process.env.TEST_STACK_LOGS === '1';

function partOptions(extra: PartOptions = {}): PartOptions {
  const env = stackEnv();
  return { log, caFile: env.caFile, ...extra, env: { ...env.env, ...extra.env } };
}

/** Generated identities for a test: bot app id/secret, tenant, worker key. */
export function testSecrets(): { botAppId: string; botAppSecret: string; tenantId: string; workerSharedKey: string } {
  return {
    botAppId: randomUUID(),
    botAppSecret: randomBytes(24).toString('base64url'),
    tenantId: randomUUID(),
    workerSharedKey: randomBytes(24).toString('base64url'),
  };
}

/** The local Functions host with an app (default: the repo root = the product app) on a free port. */
export async function startLocalHostForTest(
  options: Partial<Omit<LocalHostOptions, keyof PartOptions>> & PartOptions = {},
): Promise<RunningPart> {
  return startLocalHost({
    ...partOptions(options),
    appDir: options.appDir ?? REPO_ROOT,
    port: options.port ?? 0,
    dataDir: options.dataDir ?? (await tempDir('host')),
    settings: { ...stackEnv().env, ...options.settings },
  });
}

/** A media-worker on free control and bridge ports; settings default to the run's Azurite + Cosmos. */
export async function startMediaWorkerForTest(
  settings: Partial<MediaWorkerSettings> & Pick<MediaWorkerSettings, 'functionsBaseUrl'>,
  options: PartOptions = {},
): Promise<RunningPart> {
  const env = stackEnv();
  const dataDir = settings.dataDir ?? (await tempDir('worker'));
  return startMediaWorker({
    ...partOptions(options),
    settings: {
      workerId: 'worker-1',
      controlPort: 0,
      bridgePort: 0,
      publicHost: '127.0.0.1',
      blobConnectionString: env.blobConnectionString,
      recordingsContainer: 'recordings',
      cosmosEndpoint: env.cosmosEndpoint,
      cosmosKey: env.cosmosKey,
      cosmosDatabase: 'recorder',
      manifestSigningKeyFile: join(dataDir, 'manifest-signing-key.pem'),
      workerSharedKey: 'test-worker-key-0123456789',
      ...settings,
      dataDir,
    },
  });
}

/** The Teams/Graph simulator over HTTPS (the run's certificate) on a free port. */
export async function startSimulatorForTest(
  settings: Partial<SimulatorSettings> = {},
  options: PartOptions = {},
): Promise<RunningPart> {
  const env = stackEnv();
  return startSimulator({
    ...partOptions(options),
    settings: {
      port: 0,
      certFile: env.certFile,
      keyFile: env.keyFile,
      botAppId: 'test-bot-app',
      botAppSecret: 'test-bot-secret',
      tenantId: 'test-tenant',
      groundTruthDir: settings.groundTruthDir ?? (await tempDir('ground-truth')),
      ...settings,
    },
  });
}

/** Stops parts in reverse start order; never throws. */
export async function stopAll(parts: readonly (RunningPart | undefined)[]): Promise<void> {
  for (const part of [...parts].reverse()) {
    if (part) await part.stop().catch(() => undefined);
  }
}
