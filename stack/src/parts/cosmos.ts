import { existsSync } from 'node:fs';
import { choosePort, LOOPBACK } from '../process/free-port.js';
import { spawnManaged, waitForReady } from '../process/managed-child.js';
import { distEntry } from '../repo-paths.js';
import { httpsProbe } from './health-probe.js';
import type { PartOptions, RunningPart } from './running-part.js';

/** The Cosmos DB emulator's well-known key (public; cosmosdb-server does not check keys). */
export const COSMOS_DEV_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosOptions extends PartOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** Preferred port; 0 or undefined = any free port; a taken port falls back to a free one. */
  readonly port?: number;
  /** Database name put in `COSMOS_DATABASE` (default `recorder`). */
  readonly database?: string;
}

const ENTRY = 'stack/src/parts/cosmos-server.js';

/**
 * Starts cosmosdb-server (in memory) over HTTPS as a child and probes it with our CA.
 * Its data is lost on restart: the app's index must be rebuilt from Blob (see the stack's `onCosmosStarted`).
 * When the compiled entry is missing (no build yet) it runs in-process instead, with `pid` undefined.
 */
export async function startCosmos(options: CosmosOptions): Promise<RunningPart> {
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const port = await choosePort(options.port);
  const entry = distEntry(ENTRY);
  const base = existsSync(entry) ? await startChild(options, entry, port, timeoutMs) : await startInProcess(options, port);
  await httpsProbe(`${base.url}/`, options.certFile, timeoutMs);
  return {
    ...base,
    name: 'cosmos',
    env: {
      COSMOS_ENDPOINT: base.url,
      COSMOS_KEY: COSMOS_DEV_KEY,
      COSMOS_DATABASE: options.database ?? 'recorder',
    },
  };
}

type BasePart = Pick<RunningPart, 'url' | 'pid' | 'stop' | 'kill'>;

async function startChild(options: CosmosOptions, entry: string, port: number, timeoutMs: number): Promise<BasePart> {
  const child = spawnManaged({
    name: 'cosmos',
    command: process.execPath,
    args: [entry],
    env: {
      ...options.env,
      NODE_EXTRA_CA_CERTS: options.caFile ?? options.certFile,
      TLS_CERT_FILE: options.certFile,
      TLS_KEY_FILE: options.keyFile,
      COSMOS_PORT: String(port),
      COSMOS_HOST: LOOPBACK,
    },
    log: options.log,
  });
  try {
    const url = await waitForReady(child, 'cosmos', timeoutMs);
    return {
      url,
      pid: child.pid,
      stop: async () => {
        await child.stop();
      },
      kill: async () => {
        await child.kill();
      },
    };
  } catch (err) {
    await child.kill();
    throw err;
  }
}

async function startInProcess(options: CosmosOptions, port: number): Promise<BasePart> {
  const { listenCosmos } = await import('./cosmos-listen.js');
  const cosmos = await listenCosmos({ certFile: options.certFile, keyFile: options.keyFile, port, host: LOOPBACK });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= cosmos.close());
  return { url: cosmos.url, pid: undefined, stop: close, kill: close };
}
