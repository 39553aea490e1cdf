// Azure Blob adapter: one block blob per object, created with `ifNoneMatch: "*"` so a retry is a no-op.
// No client-side Content-MD5: HTTPS already protects the bytes in transit, the service computes and stores the MD5 of
// a single-shot Put Blob itself, and every chunk's SHA-256 is in its metadata and the hash chain that verify checks
// (computing MD5 of each 64 KB chunk cost the worker 8 % of its CPU at 290 PUT/s; bench:ingest (b) profile).
// Creates go through BlobPutClient (one signed HTTP request, no SDK pipeline) when the container's credential allows
// it; reads, lists, tags and anything it does not sign go through the SDK.
import { RestError, type ContainerClient } from '@azure/storage-blob';
import { BlobPutClient } from './blob-put-client.js';
import { ConflictError, type ObjectStore, type PutOptions, type PutOutcome, type StoredObjectInfo } from './object-store.js';

export interface BlobObjectStoreOptions {
  /** `sdk`: every create through the SDK; default: BlobPutClient where it can sign (see BlobPutClient.forContainer). */
  putClient?: 'sdk' | BlobPutClient;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export class BlobObjectStore implements ObjectStore {
  readonly kind = 'blob';
  private readonly putClient: BlobPutClient | undefined;

  /** @param container created once by the caller (see createBlobContainer). */
  constructor(
    private readonly container: ContainerClient,
    options: BlobObjectStoreOptions = {},
  ) {
    this.putClient = options.putClient === 'sdk' ? undefined : (options.putClient ?? BlobPutClient.forContainer(container, { requestTimeoutMs: 60_000 }));
  }

  /** How creates are made: `rest` (BlobPutClient) or `sdk`. */
  get putPath(): 'rest' | 'sdk' {
    return this.putClient ? 'rest' : 'sdk';
  }

  async putIfAbsent(name: string, data: Buffer, options: PutOptions = {}): Promise<PutOutcome> {
    const created = this.putClient && !options.tags && this.putClient.supports(name, options.metadata)
      ? (await this.putClient.putIfAbsent(name, data, { metadata: options.metadata, contentType: options.contentType ?? DEFAULT_CONTENT_TYPE, abortSignal: options.abortSignal })) === 'created'
      : await this.putWithSdk(name, data, options);
    if (created) return 'created';
    const existing = await this.get(name, { abortSignal: options.abortSignal });
    if (existing && existing.data.equals(data)) return 'existed';
    throw new ConflictError(name);
  }

  /** True if created, false if the name exists (409/412). */
  private async putWithSdk(name: string, data: Buffer, options: PutOptions): Promise<boolean> {
    try {
      await this.container.getBlockBlobClient(name).uploadData(data, {
        conditions: { ifNoneMatch: '*' },
        metadata: options.metadata,
        tags: options.tags,
        blobHTTPHeaders: { blobContentType: options.contentType ?? DEFAULT_CONTENT_TYPE },
        abortSignal: options.abortSignal,
        maxSingleShotSize: 256 * 1024 * 1024,
      });
      return true;
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412)) return false;
      throw err;
    }
  }

  async get(name: string, options: { abortSignal?: AbortSignal } = {}): Promise<{ data: Buffer; metadata: Record<string, string> } | undefined> {
    const blob = this.container.getBlockBlobClient(name);
    try {
      const props = await blob.getProperties({ abortSignal: options.abortSignal });
      const data = await blob.downloadToBuffer(0, undefined, { abortSignal: options.abortSignal });
      return { data, metadata: props.metadata ?? {} };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    for await (const item of this.container.listBlobsFlat({ prefix, includeMetadata: true })) {
      yield { name: item.name, metadata: item.metadata ?? {} };
    }
  }

  async overwriteForTest(name: string, data: Buffer): Promise<void> {
    const blob = this.container.getBlockBlobClient(name);
    const props = await blob.getProperties();
    await blob.uploadData(data, { metadata: props.metadata });
  }

  /** Finds blobs by index tag (e.g. the manifest of a call). */
  async *findByTag(key: string, value: string): AsyncIterable<string> {
    const escaped = value.replace(/'/g, "''");
    for await (const b of this.container.findBlobsByTags(`"${key}"='${escaped}'`)) yield b.name;
  }
}
