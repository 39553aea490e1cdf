import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { blobServiceClient, cosmosClient } from '../helpers/clients.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

describe('parts started by the global setup', () => {
  it('Azurite: the real blob client creates and reads a blob, and a conditional create answers 409', async () => {
    const container = blobServiceClient().getContainerClient(uniqueName('parts'));
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('a/b.txt');
    await blob.upload('hello', 5, { conditions: { ifNoneMatch: '*' } });
    const again = blob.upload('other', 5, { conditions: { ifNoneMatch: '*' } });
    await expect(again).rejects.toSatisfy((err: unknown) => err instanceof RestError && err.statusCode === 409);
    const body = await blob.downloadToBuffer();
    expect(body.toString('utf8')).toBe('hello');
  });

  it('Cosmos: the real client creates an item, refuses a duplicate with 409, and finds it by a parameterised query', async () => {
    const { database } = await cosmosClient().databases.createIfNotExists({ id: uniqueName('db') });
    const { container } = await database.containers.createIfNotExists({ id: 'items', partitionKey: { paths: ['/pk'] } });
    await container.items.create({ id: 'one', pk: 'p', n: 1 });
    await container.items.create({ id: 'two', pk: 'p', n: 2 });
    await expect(container.items.create({ id: 'one', pk: 'p', n: 3 })).rejects.toMatchObject({ code: 409 });
    const { resources } = await container.items
      .query<{ id: string; n: number }>({ query: 'SELECT * FROM c WHERE c.n = @n', parameters: [{ name: '@n', value: 2 }] })
      .fetchAll();
    expect(resources.map((r) => r.id)).toEqual(['two']);
  });

  it('test workers trust the stack certificate through NODE_EXTRA_CA_CERTS (plain fetch, no custom agent)', async () => {
    expect(process.env.NODE_EXTRA_CA_CERTS).toBe(stackEnv().caFile);
    const res = await fetch(`${stackEnv().cosmosEndpoint}/`);
    expect(res.status).toBeLessThan(500);
  });

  it('provides a complete child environment', () => {
    const env = stackEnv().env;
    for (const name of ['BLOB_CONNECTION_STRING', 'COSMOS_ENDPOINT', 'COSMOS_KEY', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'NODE_EXTRA_CA_CERTS']) {
      expect(env[name], name).toBeTruthy();
    }
    expect(env.COSMOS_ENDPOINT).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(env.BLOB_CONNECTION_STRING).toMatch(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
  });
});
