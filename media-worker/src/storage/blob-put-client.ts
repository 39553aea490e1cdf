// One REST call, Put Blob (a block blob in a single request, `If-None-Match: *`), made on node:http(s) with a keep-alive
// agent instead of through the Blob SDK. Chunk writes are the worker's only hot Blob call: per PUT the SDK built a
// BlockBlobClient (URL parsed ~8 times), ran its policy pipeline (tracing span, request id, logging sanitizer, retry)
// and its operation (de)serializer; that was ~45 % of the worker's CPU in bench:ingest (b), on cores it shares with
// the storage service there. Everything else (existence checks, reads, lists, tags, the manifest) stays on the SDK.
// The request is what the SDK sends (same headers, metadata, content type, conditional create), signed the same way:
// Shared Key (https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key) or a bearer token of the
// container client's TokenCredential (managed identity in production).
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';

/** The service version @azure/storage-blob 12.32 sends (x-ms-version). */
export const BLOB_SERVICE_VERSION = '2026-04-06';
const STORAGE_SCOPE = 'https://storage.azure.com/.default';
/** Names sent as they are (no escaping needed); anything else goes through the SDK. */
const PLAIN_NAME = /^[A-Za-z0-9._\-/]+$/;
/** Metadata this client signs (lower-case letters only: canonical header order is then plain byte order). */
const PLAIN_META_KEY = /^[a-z]+$/;
const PLAIN_META_VALUE = /^[\x21-\x7e]*$/;

export type PutBlobOutcome = 'created' | 'exists';

export interface PutBlobOptions {
  metadata?: Record<string, string>;
  contentType: string;
  abortSignal?: AbortSignal;
}

export interface BlobPutClientOptions {
  /** A request (connect to last response byte) that takes longer fails, so the caller can spill or retry. */
  requestTimeoutMs: number;
  /** The agent for the container URL's protocol (default: a keep-alive agent of this client's own). */
  agent?: HttpAgent;
}

/** A Put Blob the service refused (other than "already exists"). */
export class BlobPutError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorCode: string | undefined,
    blobName: string,
  ) {
    super(`Put Blob ${blobName}: ${statusCode} ${errorCode ?? ''}`.trim());
    this.name = 'BlobPutError';
  }
}

/** The part of @azure/core-auth's TokenCredential this client uses. */
interface TokenCredential {
  getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

type Auth =
  | { kind: 'sharedKey'; accountName: string; sign: (stringToSign: string) => string }
  | { kind: 'bearer'; credential: TokenCredential };

function isTokenCredential(c: unknown): c is TokenCredential {
  return typeof c === 'object' && c !== null && typeof (c as { getToken?: unknown }).getToken === 'function';
}

export class BlobPutClient {
  private readonly base: URL;
  private readonly send: typeof httpRequest;
  private readonly agent: HttpAgent;
  private token: { value: string; refreshAt: number } | undefined;
  private tokenPending: Promise<string> | undefined;
  private date = { at: 0, value: '' };

  constructor(
    containerUrl: string,
    private readonly auth: Auth,
    private readonly options: BlobPutClientOptions,
  ) {
    this.base = new URL(containerUrl.endsWith('/') ? containerUrl : `${containerUrl}/`);
    if (this.base.search !== '') throw new Error('BlobPutClient: a container URL with a query (SAS) is not supported');
    const https = this.base.protocol === 'https:';
    if (!https && this.base.protocol !== 'http:') throw new Error(`BlobPutClient: unsupported protocol ${this.base.protocol}`);
    if (auth.kind === 'bearer' && !https) throw new Error('BlobPutClient: bearer tokens need https');
    this.send = https ? (httpsRequest as unknown as typeof httpRequest) : httpRequest;
    this.agent = options.agent ?? (https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true }));
  }

  /** A client for the container's own URL and credential; undefined when that credential is not one it can use. */
  static forContainer(container: ContainerClient, options: BlobPutClientOptions): BlobPutClient | undefined {
    const credential: unknown = container.credential;
    if (credential instanceof StorageSharedKeyCredential) {
      return new BlobPutClient(container.url, { kind: 'sharedKey', accountName: credential.accountName, sign: (s) => credential.computeHMACSHA256(s) }, options);
    }
    if (isTokenCredential(credential) && container.url.startsWith('https:')) return new BlobPutClient(container.url, { kind: 'bearer', credential }, options);
    return undefined;
  }

  /** True if this client can make the request as the SDK would (plain name and metadata); otherwise use the SDK. */
  supports(name: string, metadata: Record<string, string> | undefined): boolean {
    if (!PLAIN_NAME.test(name) || name.startsWith('/') || name.includes('//')) return false;
    if (metadata) {
      for (const key in metadata) {
        if (!PLAIN_META_KEY.test(key) || !PLAIN_META_VALUE.test(metadata[key] as string)) return false;
      }
    }
    return true;
  }

  /** Creates the block blob `name` unless it exists ('exists': 409/412). Throws BlobPutError on any other status. */
  async putIfAbsent(name: string, data: Buffer, options: PutBlobOptions): Promise<PutBlobOutcome> {
    const path = `${this.base.pathname}${name}`;
    const headers: Record<string, string> = {
      'content-type': options.contentType,
      'content-length': String(data.length),
      'if-none-match': '*',
      'x-ms-blob-content-type': options.contentType,
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-date': this.now(),
      'x-ms-version': BLOB_SERVICE_VERSION,
    };
    const metaKeys = options.metadata ? Object.keys(options.metadata).sort() : [];
    for (const k of metaKeys) headers[`x-ms-meta-${k}`] = (options.metadata as Record<string, string>)[k] as string;
    headers.authorization = this.auth.kind === 'sharedKey' ? this.sharedKey(path, headers, metaKeys) : `Bearer ${await this.bearer()}`;
    const res = await this.request(path, headers, data, options.abortSignal);
    const status = res.statusCode ?? 0;
    const errorCode = res.headers['x-ms-error-code'];
    res.resume(); // the body (empty or an error document) is not needed; reading it frees the socket for reuse
    if (status === 201) return 'created';
    if (status === 409 || status === 412) return 'exists';
    throw new BlobPutError(status, typeof errorCode === 'string' ? errorCode : undefined, name);
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private request(path: string, headers: Record<string, string>, data: Buffer, abortSignal: AbortSignal | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.send({
        protocol: this.base.protocol,
        hostname: this.base.hostname,
        port: this.base.port,
        method: 'PUT',
        path,
        headers,
        agent: this.agent,
        signal: abortSignal,
        timeout: this.options.requestTimeoutMs,
      });
      req.once('timeout', () => req.destroy(new Error(`Put Blob ${path}: no response within ${this.options.requestTimeoutMs} ms`)));
      req.once('error', reject);
      req.once('response', resolve);
      req.end(data);
    });
  }

  /** x-ms-date, formatted once a second. */
  private now(): string {
    const t = Date.now();
    if (t - this.date.at >= 1000) this.date = { at: t - (t % 1000), value: new Date(t).toUTCString() };
    return this.date.value;
  }

  /** The Shared Key signature of a Put Blob with exactly the headers set in putIfAbsent. */
  private sharedKey(path: string, h: Record<string, string>, metaKeys: string[]): string {
    const auth = this.auth as Extract<Auth, { kind: 'sharedKey' }>;
    // VERB, Content-Encoding, Content-Language, Content-Length, Content-MD5, Content-Type, Date, If-Modified-Since,
    // If-Match, If-None-Match, If-Unmodified-Since, Range; then the x-ms-* headers in order; then the resource.
    let s = `PUT\n\n\n${h['content-length'] === '0' ? '' : h['content-length']}\n\n${h['content-type']}\n\n\n\n*\n\n\n`;
    s += `x-ms-blob-content-type:${h['x-ms-blob-content-type']}\nx-ms-blob-type:BlockBlob\nx-ms-date:${h['x-ms-date']}\n`;
    for (const k of metaKeys) s += `x-ms-meta-${k}:${h[`x-ms-meta-${k}`]}\n`;
    s += `x-ms-version:${BLOB_SERVICE_VERSION}\n/${auth.accountName}${path}`;
    return `SharedKey ${auth.accountName}:${auth.sign(s)}`;
  }

  /** A cached bearer token, refreshed 5 minutes before it expires (one refresh at a time). */
  private async bearer(): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) return this.token.value;
    this.tokenPending ??= (async () => {
      try {
        const t = await (this.auth as Extract<Auth, { kind: 'bearer' }>).credential.getToken(STORAGE_SCOPE);
        if (!t) throw new Error('no token for Azure Storage');
        this.token = { value: t.token, refreshAt: t.expiresOnTimestamp - 5 * 60_000 };
        return t.token;
      } finally {
        this.tokenPending = undefined;
      }
    })();
    return this.tokenPending;
  }
}
