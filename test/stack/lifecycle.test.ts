import { createServer, type Server } from 'node:net';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, describe, expect, it } from 'vitest';
import { startAzurite } from '../../stack/src/parts/azurite.js';
import { startCosmos } from '../../stack/src/parts/cosmos.js';
import type { RunningPart } from '../../stack/src/parts/running-part.js';
import { choosePort } from '../../stack/src/process/free-port.js';
import { stackEnv, tempDir, uniqueName } from '../helpers/stack-env.js';

const started: RunningPart[] = [];
afterAll(async () => {
  await Promise.allSettled(started.map((p) => p.stop()));
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { server, port: address.port };
}

function blobPortOf(part: RunningPart): number {
  return Number(part.env.AZURITE_BLOB_PORT);
}

describe('part lifecycle', { timeout: 180_000 }, () => {
  it('a taken preferred port falls back to a free one', async () => {
    const { server, port } = await occupy();
    try {
      expect(await choosePort(port)).not.toBe(port);
      const azurite = await startAzurite({ dataDir: await tempDir('collide'), blobPort: port, log: false });
      started.push(azurite);
      expect(blobPortOf(azurite)).not.toBe(port);
      const client = BlobServiceClient.fromConnectionString(azurite.env.BLOB_CONNECTION_STRING ?? '');
      await client.getContainerClient(uniqueName('c')).create();
      await azurite.stop();
    } finally {
      server.close();
    }
  });

  it('a free preferred port is used as asked', async () => {
    const { server, port } = await occupy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await choosePort(port)).toBe(port);
  });

  it('stop() ends the child processes and restart on the same data dir keeps Azurite data', async () => {
    const dataDir = await tempDir('restart');
    const first = await startAzurite({ dataDir, log: false });
    started.push(first);
    const name = uniqueName('keep');
    const client1 = BlobServiceClient.fromConnectionString(first.env.BLOB_CONNECTION_STRING ?? '');
    const container1 = client1.getContainerClient(name);
    await container1.create();
    await container1.getBlockBlobClient('kept.txt').upload('still here', 10);
    await first.stop();
    expect(first.pid).toBeDefined();
    expect(isAlive(first.pid ?? 0)).toBe(false);
    await first.stop(); // idempotent

    const second = await startAzurite({ dataDir, log: false });
    started.push(second);
    const client2 = BlobServiceClient.fromConnectionString(second.env.BLOB_CONNECTION_STRING ?? '');
    const body = await client2.getContainerClient(name).getBlockBlobClient('kept.txt').downloadToBuffer();
    expect(body.toString('utf8')).toBe('still here');
    await second.stop();
    expect(isAlive(second.pid ?? 0)).toBe(false);
  });

  it('kill() ends cosmosdb-server at once (crash tests)', async () => {
    const env = stackEnv();
    const cosmos = await startCosmos({ certFile: env.certFile, keyFile: env.keyFile, caFile: env.caFile, log: false });
    started.push(cosmos);
    expect(cosmos.pid).toBeDefined();
    expect(isAlive(cosmos.pid ?? 0)).toBe(true);
    const res = await fetch(`${cosmos.url}/`);
    expect(res.status).toBeLessThan(500);
    await cosmos.kill();
    expect(isAlive(cosmos.pid ?? 0)).toBe(false);
    await expect(fetch(`${cosmos.url}/`)).rejects.toThrow();
  });
});
