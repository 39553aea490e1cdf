// SDK clients and adapters, created once at start and injected.
import { CosmosClient, type Container } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { join } from 'node:path';
import type { Agent } from 'node:https';
import type { WorkerConfig } from './config.js';
import { CosmosRecordingsStore, type RecordingsStore } from './metadata/recordings-store.js';
import { BlobObjectStore } from './storage/blob-object-store.js';
import { SegmentObjectStore } from './storage/segment-object-store.js';
import type { ObjectStore } from './storage/object-store.js';

export const RECORDINGS_COSMOS_CONTAINER = 'recordings';

async function retry<T>(what: string, fn: () => Promise<T>, attempts = 20, delayMs = 500): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw new Error(`${what} failed: ${String(last)}`);
}

export async function createObjectStore(config: Pick<WorkerConfig, 'sink' | 'blobConnectionString' | 'container' | 'dataDir'> & Partial<Pick<WorkerConfig, 'fileFsync'>>): Promise<ObjectStore> {
  if (config.sink === 'file') return new SegmentObjectStore(join(config.dataDir, 'store', config.container), { fsync: config.fileFsync ?? true });
  const service = BlobServiceClient.fromConnectionString(config.blobConnectionString ?? '');
  const container = service.getContainerClient(config.container);
  await retry('creating the recordings container', () => container.createIfNotExists());
  return new BlobObjectStore(container);
}

export async function createRecordingsContainer(cosmos: { endpoint: string; key: string; database: string }, agent?: Agent): Promise<Container> {
  const client = new CosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key, connectionPolicy: { enableEndpointDiscovery: false }, ...(agent ? { agent } : {}) });
  const { database } = await retry('creating the Cosmos database', () => client.databases.createIfNotExists({ id: cosmos.database }));
  const { container } = await retry('creating the recordings container', () =>
    database.containers.createIfNotExists({ id: RECORDINGS_COSMOS_CONTAINER, partitionKey: { paths: ['/tenantId'] } }),
  );
  return container;
}

export async function createRecordingsStore(config: Pick<WorkerConfig, 'cosmos'>, agent?: Agent): Promise<RecordingsStore | undefined> {
  if (!config.cosmos) return undefined;
  return new CosmosRecordingsStore(await createRecordingsContainer(config.cosmos, agent));
}
