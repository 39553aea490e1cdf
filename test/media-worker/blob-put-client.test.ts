// Chunk creates through BlobPutClient (one signed HTTP PUT) against the real Azurite: the stored blob is what the
// SDK's uploadData makes (content, metadata, content type, blob type), conditional create holds, errors are clear.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_SERVICE_VERSION, BlobPutClient, BlobPutError } from '../../media-worker/src/storage/blob-put-client.js';
import { BlobObjectStore } from '../../media-worker/src/storage/blob-object-store.js';
import { ConflictError } from '../../media-worker/src/storage/object-store.js';
import { ensureCertificate } from '../../stack/src/parts/certs.js';
import { stackEnv, tempDir, uniqueName } from '../helpers/stack-env.js';

let container: ContainerClient;
beforeAll(async () => {
  container = BlobServiceClient.fromConnectionString(stackEnv().blobConnectionString).getContainerClient(uniqueName('putc'));
  await container.createIfNotExists();
});

const meta = { chunkrecord: Buffer.from(JSON.stringify({ v: 1, index: 3 })).toString('base64url'), speakers: Buffer.from('[[0,[1,2]]]').toString('base64url') };

async function stored(name: string): Promise<{ data: Buffer; metadata: Record<string, string> | undefined; contentType: string | undefined; blobType: string | undefined }> {
  const blob = container.getBlockBlobClient(name);
  const p = await blob.getProperties();
  return { data: await blob.downloadToBuffer(), metadata: p.metadata, contentType: p.contentType, blobType: p.blobType };
}

describe('BlobPutClient', () => {
  it('stores exactly what the SDK path stores (bytes, metadata, content type, block blob)', async () => {
    const rest = new BlobObjectStore(container);
    const sdk = new BlobObjectStore(container, { putClient: 'sdk' });
    expect(rest.putPath).toBe('rest');
    expect(sdk.putPath).toBe('sdk');
    const data = Buffer.alloc(64_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const prefix = `emea/t-1/2026/11/26/${uniqueName('call')}/mixed`;
    expect(await rest.putIfAbsent(`${prefix}/00000000.pcm`, data, { metadata: meta })).toBe('created');
    expect(await sdk.putIfAbsent(`${prefix}/00000001.pcm`, data, { metadata: meta })).toBe('created');
    const a = await stored(`${prefix}/00000000.pcm`);
    const b = await stored(`${prefix}/00000001.pcm`);
    expect(a.data.equals(data)).toBe(true);
    expect(a).toEqual(b);
    expect(a.metadata).toEqual(meta);
    expect(a.contentType).toBe('application/octet-stream');
    expect(a.blobType).toBe('BlockBlob');
  });

  it('conditional create: same bytes again = existed, other bytes = ConflictError, the blob unchanged', async () => {
    const store = new BlobObjectStore(container);
    const name = `${uniqueName('c')}/00000000.pcm`;
    expect(await store.putIfAbsent(name, Buffer.from('abc'), { metadata: meta })).toBe('created');
    expect(await store.putIfAbsent(name, Buffer.from('abc'), { metadata: meta })).toBe('existed');
    await expect(store.putIfAbsent(name, Buffer.from('abd'))).rejects.toBeInstanceOf(ConflictError);
    expect((await stored(name)).data.toString()).toBe('abc');
  });

  it('an empty blob and metadata-free puts are signed correctly', async () => {
    const store = new BlobObjectStore(container);
    const name = `${uniqueName('e')}/empty.bin`;
    expect(await store.putIfAbsent(name, Buffer.alloc(0), { contentType: 'application/x-test' })).toBe('created');
    const s = await stored(name);
    expect(s.data.length).toBe(0);
    expect(s.contentType).toBe('application/x-test');
    expect(s.metadata).toEqual({});
  });

  it('names, metadata or tags it does not sign go through the SDK, with the same outcome', async () => {
    const client = BlobPutClient.forContainer(container, { requestTimeoutMs: 10_000 }) as BlobPutClient;
    expect(client.supports('a/b:c/00000000.pcm', undefined)).toBe(false);
    expect(client.supports('a/b/00000000.pcm', { Mixed: 'x' })).toBe(false);
    expect(client.supports('a/b/00000000.pcm', { k: 'two words' })).toBe(false);
    expect(client.supports('a//b', undefined)).toBe(false);
    expect(client.supports('a/b/00000000.pcm', meta)).toBe(true);
    const store = new BlobObjectStore(container, { putClient: client });
    const name = `${uniqueName('s')}/call:1/00000000.pcm`;
    expect(await store.putIfAbsent(name, Buffer.from('x'), { metadata: { k: 'two words' }, tags: { callid: 'c1' } })).toBe('created');
    expect((await stored(name)).metadata).toEqual({ k: 'two words' });
    expect(await store.putIfAbsent(name, Buffer.from('x'))).toBe('existed');
  });

  it('a wrong account key is refused with a clear error (403), nothing stored', async () => {
    const cred = container.credential as StorageSharedKeyCredential;
    const wrong = new StorageSharedKeyCredential(cred.accountName, Buffer.alloc(64, 1).toString('base64'));
    const client = new BlobPutClient(container.url, { kind: 'sharedKey', accountName: wrong.accountName, sign: (s) => wrong.computeHMACSHA256(s) }, { requestTimeoutMs: 10_000 });
    const name = `${uniqueName('k')}/00000000.pcm`;
    const err = await client.putIfAbsent(name, Buffer.from('x'), { contentType: 'application/octet-stream' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobPutError);
    expect((err as BlobPutError).statusCode).toBe(403);
    expect(await container.getBlockBlobClient(name).exists()).toBe(false);
    client.close();
  });
});

describe('BlobPutClient against a scripted server', () => {
  const seen: Array<{ url: string | undefined; headers: IncomingHttpHeaders; bytes: number }> = [];
  let reply: { status: number; headers?: Record<string, string>; delayMs?: number } = { status: 201 };
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (d: Buffer) => (bytes += d.length));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, bytes });
      setTimeout(() => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.status >= 400 ? '<?xml version="1.0"?><Error/>' : '');
      }, reply.delayMs ?? 0);
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acct/rec`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const client = (timeoutMs = 5000): BlobPutClient => new BlobPutClient(url, { kind: 'sharedKey', accountName: 'acct', sign: () => 'sig' }, { requestTimeoutMs: timeoutMs });

  it('sends the SDK’s Put Blob request and reuses its connection', async () => {
    reply = { status: 201 };
    const c = client();
    expect(await c.putIfAbsent('r/1.pcm', Buffer.alloc(100), { contentType: 'application/octet-stream', metadata: { speakers: 'W10', chunkrecord: 'e30' } })).toBe('created');
    expect(await c.putIfAbsent('r/2.pcm', Buffer.alloc(100), { contentType: 'application/octet-stream' })).toBe('created');
    const [first, second] = seen.slice(-2);
    expect(first?.url).toBe('/acct/rec/r/1.pcm');
    expect(first?.bytes).toBe(100);
    expect(first?.headers).toMatchObject({
      'if-none-match': '*', 'x-ms-blob-type': 'BlockBlob', 'x-ms-version': BLOB_SERVICE_VERSION, 'x-ms-blob-content-type': 'application/octet-stream',
      'x-ms-meta-speakers': 'W10', 'x-ms-meta-chunkrecord': 'e30', authorization: 'SharedKey acct:sig', connection: 'keep-alive',
    });
    expect(second?.headers['x-ms-meta-speakers']).toBeUndefined();
    c.close();
  });

  it('409 and 412 mean the blob exists; another status throws BlobPutError with the service error code', async () => {
    const c = client();
    reply = { status: 409, headers: { 'x-ms-error-code': 'BlobAlreadyExists' } };
    expect(await c.putIfAbsent('r/3.pcm', Buffer.alloc(1), { contentType: 'application/octet-stream' })).toBe('exists');
    reply = { status: 412 };
    expect(await c.putIfAbsent('r/3.pcm', Buffer.alloc(1), { contentType: 'application/octet-stream' })).toBe('exists');
    reply = { status: 503, headers: { 'x-ms-error-code': 'ServerBusy' } };
    const err = await c.putIfAbsent('r/4.pcm', Buffer.alloc(1), { contentType: 'application/octet-stream' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobPutError);
    expect(err).toMatchObject({ statusCode: 503, errorCode: 'ServerBusy' });
    c.close();
  });

  it('a request without a response within requestTimeoutMs fails (the writer then spills or retries)', async () => {
    reply = { status: 201, delayMs: 2000 };
    const c = client(200);
    await expect(c.putIfAbsent('r/5.pcm', Buffer.alloc(1), { contentType: 'application/octet-stream' })).rejects.toThrow(/no response within 200 ms/);
    c.close();
  });

  it('refuses what it cannot sign as configured: SAS URLs, other protocols, bearer over http', () => {
    const auth = { kind: 'sharedKey' as const, accountName: 'a', sign: () => 's' };
    expect(() => new BlobPutClient(`${url}?sv=1&sig=x`, auth, { requestTimeoutMs: 1 })).toThrow(/SAS/);
    expect(() => new BlobPutClient('ftp://h/a/c', auth, { requestTimeoutMs: 1 })).toThrow(/protocol/);
    expect(() => new BlobPutClient(url, { kind: 'bearer', credential: { getToken: () => Promise.resolve(null) } }, { requestTimeoutMs: 1 })).toThrow(/https/);
  });
});

describe('BlobPutClient with a token credential (managed identity in production)', () => {
  it('sends a bearer token over https, fetched once and reused until 5 minutes before it expires', async () => {
    const certs = await ensureCertificate({ dir: await tempDir('putc-certs') });
    const [cert, key] = await Promise.all([readFile(certs.certFile, 'utf8'), readFile(certs.keyFile, 'utf8')]);
    const auths: Array<string | undefined> = [];
    const server = createHttpsServer({ cert, key }, (req, res) => {
      auths.push(req.headers.authorization);
      req.resume();
      req.on('end', () => res.writeHead(201).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const agent = new HttpsAgent({ keepAlive: true, ca: cert });
    try {
      const scopes: string[] = [];
      let expiresInMs = 3_600_000;
      let n = 0;
      const credential = {
        getToken: (scope: string) => {
          scopes.push(scope);
          return Promise.resolve({ token: `tok${++n}`, expiresOnTimestamp: Date.now() + expiresInMs });
        },
      };
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/rec`;
      const c = new BlobPutClient(url, { kind: 'bearer', credential }, { requestTimeoutMs: 5000, agent });
      const put = (client: BlobPutClient, name: string): Promise<unknown> => client.putIfAbsent(name, Buffer.from('x'), { contentType: 'application/octet-stream' });
      await Promise.all([put(c, 'a/1.pcm'), put(c, 'a/2.pcm')]);
      await put(c, 'a/3.pcm');
      expect(auths).toEqual(['Bearer tok1', 'Bearer tok1', 'Bearer tok1']);
      expect(scopes).toEqual(['https://storage.azure.com/.default']);
      // A token that expires within 5 minutes is replaced before each use.
      expiresInMs = 60_000;
      const short = new BlobPutClient(url, { kind: 'bearer', credential }, { requestTimeoutMs: 5000, agent });
      await put(short, 'a/4.pcm');
      await put(short, 'a/5.pcm');
      expect(auths.slice(3)).toEqual(['Bearer tok2', 'Bearer tok3']);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
