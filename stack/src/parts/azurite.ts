import { mkdir } from 'node:fs/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { choosePort, LOOPBACK } from '../process/free-port.js';
import { spawnManaged, type ManagedChild } from '../process/managed-child.js';
import { nodeModulesPath } from '../repo-paths.js';
import type { PartOptions, RunningPart } from './running-part.js';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions extends PartOptions {
  /** Where Azurite keeps its data (`.data/azurite` for the stack, a temp dir for tests). */
  readonly dataDir: string;
  /** Preferred ports; 0 or undefined = any free port. A taken preferred port falls back to a free one. */
  readonly blobPort?: number;
  readonly queuePort?: number;
  readonly tablePort?: number;
}

export interface AzuritePorts {
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

/** The development connection string for Azurite on the given ports. */
export function azuriteConnectionString(ports: AzuritePorts, host: string = LOOPBACK): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=http://${host}:${ports.blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=http://${host}:${ports.queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=http://${host}:${ports.table}/${AZURITE_ACCOUNT}`,
  ].join(';') + ';';
}

/** Starts Azurite blob+queue+table as a child and checks it with a real `@azure/storage-blob` call. */
export async function startAzurite(options: AzuriteOptions): Promise<RunningPart> {
  await mkdir(options.dataDir, { recursive: true });
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let lastError: unknown;
  // A preferred port can be taken between the check and the bind: the second attempt uses OS-chosen ports.
  for (const preferOwnPorts of [true, false]) {
    const requested = {
      blob: preferOwnPorts ? await choosePort(options.blobPort) : 0,
      queue: preferOwnPorts ? await choosePort(options.queuePort) : 0,
      table: preferOwnPorts ? await choosePort(options.tablePort) : 0,
    };
    const child = spawnAzurite(options, requested);
    try {
      const ports = await waitForPorts(child, timeoutMs);
      const connectionString = azuriteConnectionString(ports);
      await checkBlob(connectionString);
      return asRunningPart(child, ports, connectionString);
    } catch (err) {
      lastError = err;
      await child.kill();
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

function spawnAzurite(options: AzuriteOptions, ports: AzuritePorts): ManagedChild {
  const args = [
    nodeModulesPath('azurite/dist/src/azurite.js'),
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--loose',
    '--location', options.dataDir,
    '--blobHost', LOOPBACK, '--blobPort', String(ports.blob),
    '--queueHost', LOOPBACK, '--queuePort', String(ports.queue),
    '--tableHost', LOOPBACK, '--tablePort', String(ports.table),
  ];
  // The access log (a line per request) and the debug log are noise at load; only when asked.
  if (process.env.AZURITE_DEBUG === '1') args.push('--debug', `${options.dataDir}/debug.log`);
  else args.push('--silent');
  return spawnManaged({
    name: 'azurite',
    command: process.execPath,
    args,
    env: { ...options.env, ...(options.caFile ? { NODE_EXTRA_CA_CERTS: options.caFile } : {}) },
    log: options.log,
  });
}

async function waitForPorts(child: ManagedChild, timeoutMs: number): Promise<AzuritePorts> {
  const deadline = Date.now() + timeoutMs;
  const port = async (service: string): Promise<number> => {
    const match = await child.waitForLine(
      new RegExp(`Azurite ${service} service is successfully listening at http://[^:]+:(\\d+)`),
      Math.max(1, deadline - Date.now()),
    );
    return Number(match[1]);
  };
  const [blob, queue, table] = await Promise.all([port('Blob'), port('Queue'), port('Table')]);
  return { blob, queue, table };
}

async function checkBlob(connectionString: string): Promise<void> {
  const client = BlobServiceClient.fromConnectionString(connectionString);
  await client.getProperties();
}

function asRunningPart(child: ManagedChild, ports: AzuritePorts, connectionString: string): RunningPart {
  return {
    name: 'azurite',
    url: `http://${LOOPBACK}:${ports.blob}/${AZURITE_ACCOUNT}`,
    env: {
      BLOB_CONNECTION_STRING: connectionString,
      AZURE_STORAGE_CONNECTION_STRING: connectionString,
      AzureWebJobsStorage: connectionString,
      AZURITE_BLOB_PORT: String(ports.blob),
      AZURITE_QUEUE_PORT: String(ports.queue),
      AZURITE_TABLE_PORT: String(ports.table),
    },
    pid: child.pid,
    stop: async () => {
      await child.stop();
    },
    kill: async () => {
      await child.kill();
    },
  };
}
