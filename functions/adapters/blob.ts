/**
 * `call.json` writer: the leg record written next to the call's manifest in Blob (the source of truth the Cosmos
 * index is rebuilt from). Conditional create; on conflict the existing blob is compared and replaced only with its ETag.
 */
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';

export type BlobWriteOutcome = 'created' | 'updated' | 'unchanged';

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export class CallJsonWriter {
  private container: Promise<ContainerClient> | null = null;

  constructor(
    private readonly service: BlobServiceClient,
    private readonly containerName: string,
  ) {}

  private ready(): Promise<ContainerClient> {
    this.container ??= (async () => {
      const c = this.service.getContainerClient(this.containerName);
      await c.createIfNotExists();
      return c;
    })().catch((err: unknown) => {
      this.container = null;
      throw err;
    });
    return this.container;
  }

  async write(blobName: string, json: string): Promise<BlobWriteOutcome> {
    const container = await this.ready();
    const blob = container.getBlockBlobClient(blobName);
    const body = Buffer.from(json, 'utf8');
    const headers = { blobContentType: 'application/json' };
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await blob.upload(body, body.length, { conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: headers });
        return 'created';
      } catch (err) {
        const s = statusOf(err);
        if (s !== 409 && s !== 412) throw err;
      }
      const existing = await blob.download();
      const current = await streamToBuffer(existing.readableStreamBody);
      if (current.equals(body)) return 'unchanged';
      try {
        await blob.upload(body, body.length, { conditions: { ifMatch: existing.etag }, blobHTTPHeaders: headers });
        return 'updated';
      } catch (err) {
        if (statusOf(err) !== 412) throw err;
      }
    }
    throw new Error(`${blobName}: too many concurrent writers`);
  }

  /** Names of every blob under `prefix` whose last path segment is `fileName`, in listing order. */
  async *listNamed(fileName: string, prefix = ''): AsyncIterable<string> {
    const container = await this.ready();
    for await (const item of container.listBlobsFlat(prefix ? { prefix } : {})) {
      if (item.name === fileName || item.name.endsWith(`/${fileName}`)) yield item.name;
    }
  }

  async read(blobName: string): Promise<string | null> {
    const container = await this.ready();
    try {
      const res = await container.getBlockBlobClient(blobName).download();
      return (await streamToBuffer(res.readableStreamBody)).toString('utf8');
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }
}

async function streamToBuffer(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(typeof part === 'string' ? Buffer.from(part) : part);
  return Buffer.concat(parts);
}
