import { mkdir } from 'node:fs/promises';
import { startNodeService } from './node-service.js';
import type { PartOptions, RunningPart } from './running-part.js';

export const MEDIA_WORKER_ENTRY = 'media-worker/src/main.js';

/** The worker's configuration (ARCHITECTURE.md → media-worker). */
export interface MediaWorkerSettings {
  readonly workerId: string;
  /** 0 = any free port. */
  readonly controlPort: number;
  /** 0 = any free port (the worker puts the real one in its local media config). */
  readonly bridgePort: number;
  readonly publicHost: string;
  /** Spill journal. */
  readonly dataDir: string;
  readonly blobConnectionString: string;
  readonly recordingsContainer: string;
  readonly cosmosEndpoint: string;
  readonly cosmosKey: string;
  readonly cosmosDatabase: string;
  /** PEM; the worker creates it when absent. */
  readonly manifestSigningKeyFile: string;
  readonly workerSharedKey: string;
  /** Where media events go: `POST {functionsBaseUrl}/media-events`. */
  readonly functionsBaseUrl: string;
  /** The pool's other bridges (`tcp://host:port`), put in the local media config as alternates. */
  readonly alternateBridges?: readonly string[];
}

export interface MediaWorkerOptions extends PartOptions {
  readonly settings: MediaWorkerSettings;
  /** Part name (log prefix); default `media-worker`. The process's READY line says `media-worker` either way. */
  readonly partName?: string;
}

/** The environment a worker process reads. */
export function mediaWorkerEnv(s: MediaWorkerSettings): Record<string, string> {
  return {
    MEDIA_WORKER_ID: s.workerId,
    MEDIA_WORKER_CONTROL_PORT: String(s.controlPort),
    MEDIA_WORKER_BRIDGE_PORT: String(s.bridgePort),
    MEDIA_WORKER_PUBLIC_HOST: s.publicHost,
    MEDIA_WORKER_DATA_DIR: s.dataDir,
    BLOB_CONNECTION_STRING: s.blobConnectionString,
    RECORDINGS_CONTAINER: s.recordingsContainer,
    COSMOS_ENDPOINT: s.cosmosEndpoint,
    COSMOS_KEY: s.cosmosKey,
    COSMOS_DATABASE: s.cosmosDatabase,
    MANIFEST_SIGNING_KEY_FILE: s.manifestSigningKeyFile,
    WORKER_SHARED_KEY: s.workerSharedKey,
    FUNCTIONS_BASE_URL: s.functionsBaseUrl,
    ...(s.alternateBridges && s.alternateBridges.length > 0 ? { MEDIA_WORKER_ALTERNATE_BRIDGES: s.alternateBridges.join(',') } : {}),
    // Chunk writes, fsyncs and hashing run on libuv's pool; the default of 4 threads caps concurrent commits.
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '32',
  };
}

/** Starts `node dist/media-worker/src/main.js`, waits for `READY media-worker <url>` and `GET /health` → 200. */
export async function startMediaWorker(options: MediaWorkerOptions): Promise<RunningPart> {
  const s = options.settings;
  await mkdir(s.dataDir, { recursive: true });
  return startNodeService(
    {
      name: options.partName ?? 'media-worker',
      readyName: 'media-worker',
      entry: MEDIA_WORKER_ENTRY,
      env: mediaWorkerEnv(s),
      healthPath: '/health',
      clientEnv: (url) => ({ MEDIA_WORKER_URLS: `${s.workerId}=${url}`, WORKER_SHARED_KEY: s.workerSharedKey }),
    },
    options,
  );
}
