import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { appSettings, COSMOS_DATABASE, notificationUrl, RECORDINGS_CONTAINER, writeSettingsFile } from './app-settings.js';
import { stackLayout, type StackLayout } from './layout.js';
import { startAzurite } from './parts/azurite.js';
import { ensureCertificate, writeTrustFile, type CertificateFiles } from './parts/certs.js';
import { startCosmos } from './parts/cosmos.js';
import { LOCAL_HOST_ENTRY, startLocalHost } from './parts/local-host.js';
import { hasEntry } from './parts/node-service.js';
import type { RunningPart } from './parts/running-part.js';
import { graphEnvFor, SIMULATOR_ENTRY, startSimulator } from './parts/simulator.js';
import { DEFAULT_PORTS, type StackPorts } from './ports.js';
import { choosePort, LOOPBACK } from './process/free-port.js';
import type { LogSink } from './process/log-sink.js';
import { requestReindex, type ReindexOutcome } from './reindex.js';
import { REPO_ROOT } from './repo-paths.js';
import { loadOrCreateSecrets, type StackSecrets } from './secrets.js';
import { acquireStackLock } from './stack-lock.js';
import { startWorkerPool } from './worker-pool.js';

export type PartName = 'azurite' | 'cosmos' | 'simulator' | 'media-worker' | `media-worker-${number}` | 'local-host';

/** A part that did not run, and why (entry not built yet, or it failed to start). */
export interface PartNotice {
  readonly name: PartName;
  readonly kind: 'skipped' | 'failed';
  readonly reason: string;
}

export interface StackOptions {
  /** Root for `.stack/` and `.data/` (default: the repo root). */
  readonly root?: string;
  /** The Functions app folder the local host loads (default: the repo root). */
  readonly appDir?: string;
  readonly ports?: Partial<StackPorts>;
  /** Wipe `.data/` first. */
  readonly fresh?: boolean;
  /** Child output: `false` silences it, a function receives lines; default: prefixed console. */
  readonly log?: boolean | LogSink;
  /** Progress messages of the stack itself. */
  readonly say?: (message: string) => void;
  /** Fail when a product part (simulator, worker, host) is missing or fails (default: skip it with a message). */
  readonly requireAll?: boolean;
  /** Media-workers in the pool (default 2): each lists the others as alternate bridges; all in MEDIA_WORKER_URLS. */
  readonly workers?: number;
  /**
   * Called once the app is reachable after Cosmos (in memory, so empty) started: rebuild the index from Blob.
   * Default: `POST {host}/api/ops/reindex`, a 404 tolerated.
   */
  readonly onCosmosStarted?: (stack: RunningStack) => Promise<ReindexOutcome | void>;
}

export interface StackUrls {
  readonly azurite: string;
  readonly cosmos: string;
  readonly simulator?: string;
  /** The first media-worker's control URL. */
  readonly mediaWorker?: string;
  /** Every media-worker of the pool that started: workerId → control URL. */
  readonly mediaWorkers?: Readonly<Record<string, string>>;
  readonly host?: string;
  readonly dashboard?: string;
  readonly durableApi?: string;
}

export interface RunningStack {
  readonly layout: StackLayout;
  readonly secrets: StackSecrets;
  readonly certs: CertificateFiles;
  /** Parts in start order. */
  readonly parts: readonly RunningPart[];
  readonly notices: readonly PartNotice[];
  readonly urls: StackUrls;
  /** The Functions app's settings as given to the local host. */
  readonly appSettings: Readonly<Record<string, string>>;
  part(name: PartName): RunningPart | undefined;
  /** Stops every part in reverse order (SIGTERM, then SIGKILL after a grace period). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the local stack in order: certificate → Azurite → Cosmos → simulator → media-workers (a pool of two by
 * default, started together) → local host (with the
 * app), wired per ARCHITECTURE.md. Parts whose compiled entry does not exist are skipped with a notice.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const layout = stackLayout(options.root ?? REPO_ROOT);
  const ports: StackPorts = { ...DEFAULT_PORTS, ...options.ports };
  const say = options.say ?? ((m: string) => process.stdout.write(`[stack] ${m}\n`));
  const log = options.log;
  const parts: RunningPart[] = [];
  const notices: PartNotice[] = [];
  const lock = await acquireStackLock(layout.lockFile);
  const stopAll = async (): Promise<void> => {
    for (const part of [...parts].reverse()) await part.stop().catch(() => undefined);
    await lock.release();
  };

  try {
    if (options.fresh) {
      say(`--fresh: wiping ${layout.dataDir}`);
      await rm(layout.dataDir, { recursive: true, force: true });
    }
    const certs = await ensureCertificate({ dir: layout.certsDir });
    const caFile = await writeTrustFile(certs.certFile, `${layout.certsDir}/trust.pem`, process.env.NODE_EXTRA_CA_CERTS);
    const { secrets, created } = await loadOrCreateSecrets(layout.secretsFile);
    if (created) say(`generated ${layout.secretsFile}`);

    const [azurite, cosmos] = await Promise.all([
      startAzurite({ dataDir: layout.azuriteDir, blobPort: ports.blob, queuePort: ports.queue, tablePort: ports.table, caFile, log }),
      startCosmos({ certFile: certs.certFile, keyFile: certs.keyFile, port: ports.cosmos, caFile, log, database: COSMOS_DATABASE }),
    ]);
    parts.push(azurite, cosmos);
    const storageEnv = { ...azurite.env, ...cosmos.env, RECORDINGS_CONTAINER };
    // Read by tools run beside the stack (`npm run verify`): where the recordings are and how to check them.
    await writeFile(
      join(layout.stackDir, 'env.json'),
      JSON.stringify({ ...storageEnv, MEDIA_WORKER_DATA_DIR: layout.mediaWorkerDir, MANIFEST_SIGNING_KEY_FILE: layout.manifestSigningKeyFile }, null, 2),
      { mode: 0o600 },
    );
    await BlobServiceClient.fromConnectionString(azurite.env.BLOB_CONNECTION_STRING ?? '')
      .getContainerClient(RECORDINGS_CONTAINER)
      .createIfNotExists();

    // The host's URL is needed by the simulator and the worker before the host starts, so its port is chosen now.
    const hostPort = await choosePort(ports.host);
    const hostUrl = `http://${LOOPBACK}:${hostPort}`;

    const optional = async (name: PartName, entry: string, start: () => Promise<RunningPart>): Promise<RunningPart | undefined> => {
      if (!hasEntry(entry)) {
        const reason = `dist/${entry} not found (part not written or not built yet)`;
        if (options.requireAll) throw new Error(`${name}: ${reason}`);
        notices.push({ name, kind: 'skipped', reason });
        say(`skipping ${name}: ${reason}`);
        return undefined;
      }
      try {
        const part = await start();
        parts.push(part);
        return part;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        if (options.requireAll) throw err;
        notices.push({ name, kind: 'failed', reason });
        say(`${name} failed to start; continuing without it:\n${reason}`);
        return undefined;
      }
    };

    const simulatorPort = await choosePort(ports.simulator);
    const simulator = await optional('simulator', SIMULATOR_ENTRY, () =>
      startSimulator({
        caFile,
        log,
        settings: {
          port: simulatorPort,
          certFile: certs.certFile,
          keyFile: certs.keyFile,
          botAppId: secrets.botAppId,
          botAppSecret: secrets.botAppSecret,
          tenantId: secrets.tenantId,
          recorderNotificationUrl: notificationUrl(hostUrl),
          groundTruthDir: layout.groundTruthDir,
        },
      }),
    );

    const pool = await startWorkerPool(options.workers ?? 2, ports, (name, entry, start) => optional(name, entry, start), {
      caFile,
      log,
      layout,
      settings: {
        publicHost: LOOPBACK,
        blobConnectionString: azurite.env.BLOB_CONNECTION_STRING ?? '',
        recordingsContainer: RECORDINGS_CONTAINER,
        cosmosEndpoint: cosmos.env.COSMOS_ENDPOINT ?? '',
        cosmosKey: cosmos.env.COSMOS_KEY ?? '',
        cosmosDatabase: COSMOS_DATABASE,
        manifestSigningKeyFile: layout.manifestSigningKeyFile,
        workerSharedKey: secrets.workerSharedKey,
        functionsBaseUrl: `${hostUrl}/api`,
      },
    });
    const worker = pool.workers[0]?.part;

    const settings = appSettings({
      secrets,
      hostUrl,
      partEnv: { ...storageEnv, ...(simulator ? simulator.env : graphEnvFor(`https://${LOOPBACK}:${simulatorPort}`)) },
      mediaWorkerUrls: pool.mediaWorkerUrls,
    });
    // Given as --settings so a developer's own local.settings.json in the app folder cannot overlay the wiring.
    await writeSettingsFile(layout.appSettingsFile, settings);
    const host = await optional('local-host', LOCAL_HOST_ENTRY, () =>
      startLocalHost({
        settingsFile: layout.appSettingsFile,
        caFile,
        log,
        appDir: options.appDir ?? REPO_ROOT,
        port: hostPort,
        dataDir: layout.localHostDir,
        settings,
      }),
    );

    let stopped: Promise<void> | undefined;
    const stack: RunningStack = {
      layout,
      secrets,
      certs,
      parts,
      notices,
      appSettings: settings,
      urls: {
        azurite: azurite.url,
        cosmos: cosmos.url,
        ...(simulator ? { simulator: simulator.url } : {}),
        ...(worker ? { mediaWorker: worker.url, mediaWorkers: Object.fromEntries(pool.workers.map((w) => [w.workerId, w.part.url])) } : {}),
        ...(host
          ? { host: host.url, dashboard: `${host.url}/dashboard`, durableApi: `${host.url}/runtime/webhooks/durabletask` }
          : {}),
      },
      part: (name) => parts.find((p) => p.name === name),
      stop: () => (stopped ??= stopAll()),
    };

    if (host) {
      const hook = options.onCosmosStarted ?? defaultReindex(say);
      await hook(stack);
    }
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function defaultReindex(say: (m: string) => void): (stack: RunningStack) => Promise<ReindexOutcome | void> {
  return async (stack) => {
    if (!stack.urls.host) return;
    const outcome = await requestReindex({ hostUrl: stack.urls.host, masterKey: stack.secrets.functionsMasterKey });
    if (outcome.kind === 'done') say(`Cosmos index rebuilt from Blob: ${outcome.body}`);
    else if (outcome.kind === 'failed') say(`Cosmos index rebuild failed: ${outcome.reason}`);
    return outcome;
  };
}
