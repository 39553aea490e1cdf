/**
 * Graph calling adapter: answer, reject, updateRecordingStatus, keepAlive, GET and DELETE of a call, through
 * `@microsoft/microsoft-graph-client`. One Graph client and one `ClientSecretCredential` per tenant, created on first
 * use and kept (tokens are cached by the credential and here until shortly before expiry).
 */
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler, Client, GraphError, RedirectHandler, RedirectHandlerOptions, ResponseType, RetryHandler, RetryHandlerOptions, TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { NodeHttpsMessageHandler } from './graph-transport.js';
import {
  answerBodySchema, callSchema, commsOperationSchema, rejectBodySchema, updateRecordingStatusBodySchema,
  type AnswerBody, type Call, type CommsOperation, type RejectBody, type UpdateRecordingStatusBody,
} from '../../contracts/graph/index.js';

export interface GraphCallsOptions {
  botAppId: string;
  botAppSecret: string;
  /** e.g. `https://graph.microsoft.com/v1.0` or the simulator's `https://127.0.0.1:7090/v1.0`. */
  graphBaseUrl: string;
  authorityHost: string;
  requestTimeoutMs: number;
  /** For tests: supply a credential factory instead of ClientSecretCredential. */
  credentialFor?: (tenantId: string) => TokenCredential;
}

/** An error Graph answered with (4xx/5xx), or a transport failure (`status` 0). */
export class GraphCallError extends Error {
  override readonly name = 'GraphCallError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
  }
  /** 404/410: the call no longer exists. */
  get callGone(): boolean {
    return this.status === 404 || this.status === 410;
  }
  /** Worth retrying: transport errors, timeouts, 408, 429, 5xx. */
  get transient(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

const SCOPE = 'https://graph.microsoft.com/.default';
const TOKEN_EARLY_REFRESH_MS = 5 * 60_000;

export class GraphCallsClient {
  private readonly clients = new Map<string, { client: Client; getAccessToken: () => Promise<string> }>();
  private readonly baseUrl: string;
  private readonly version: string;
  private readonly host: string;
  /** One transport (keep-alive agents) for every tenant's client. */
  private readonly transport = new NodeHttpsMessageHandler();

  constructor(private readonly options: GraphCallsOptions) {
    const url = new URL(options.graphBaseUrl);
    const path = url.pathname.replace(/^\/+|\/+$/g, '');
    this.version = path === '' ? 'v1.0' : path;
    this.baseUrl = `${url.protocol}//${url.host}/`;
    this.host = url.hostname;
  }

  private clientFor(tenantId: string): Client {
    const existing = this.clients.get(tenantId);
    if (existing) return existing.client;
    const credential =
      this.options.credentialFor?.(tenantId) ??
      new ClientSecretCredential(tenantId, this.options.botAppId, this.options.botAppSecret, {
        authorityHost: this.options.authorityHost,
        disableInstanceDiscovery: true,
      });
    let cached: { token: string; expiresOnTimestamp: number } | null = null;
    let inflight: Promise<string> | null = null;
    const getAccessToken = async (): Promise<string> => {
      if (cached && cached.expiresOnTimestamp - TOKEN_EARLY_REFRESH_MS > Date.now()) return cached.token;
      inflight ??= credential
        .getToken(SCOPE)
        .then((t) => {
          if (!t) throw new GraphCallError('no token from the authority', 0, 'noToken');
          cached = { token: t.token, expiresOnTimestamp: t.expiresOnTimestamp };
          return t.token;
        })
        .finally(() => {
          inflight = null;
        });
      return inflight;
    };
    // The SDK's default chain, with its last step (fetch) replaced by node:https (see graph-transport.ts).
    const client = Client.initWithMiddleware({
      middleware: [
        new AuthenticationHandler({ getAccessToken }),
        new RetryHandler(new RetryHandlerOptions()),
        new RedirectHandler(new RedirectHandlerOptions()),
        new TelemetryHandler(),
        this.transport,
      ],
      baseUrl: this.baseUrl,
      defaultVersion: this.version,
      customHosts: new Set([this.host]),
    });
    this.clients.set(tenantId, { client, getAccessToken });
    return client;
  }

  /** Fetches a token for the tenant ahead of the first call (keeps token latency off the 5 s answer path). */
  async warmUp(tenantId: string): Promise<void> {
    this.clientFor(tenantId);
    await this.clients.get(tenantId)?.getAccessToken();
  }

  private async send(tenantId: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    // A controller whose timer is cleared when the request ends: an `AbortSignal.timeout` signal (and what its abort
    // listener reaches) stays alive until the timeout fires, i.e. for every request of the last requestTimeoutMs.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), this.options.requestTimeoutMs);
    const request = this.clientFor(tenantId)
      .api(path)
      .middlewareOptions([new RetryHandlerOptions(0, 0)])
      .responseType(ResponseType.TEXT)
      .option('signal', abort.signal);
    let text: unknown;
    try {
      if (method === 'GET') text = await request.get();
      else if (method === 'DELETE') text = await request.delete();
      else text = await request.post(body ?? {});
    } catch (err) {
      throw toGraphCallError(err, `${method} ${path}`);
    } finally {
      clearTimeout(timer);
    }
    // 202/204 answers carry no body (sometimes still labelled application/json): read text, parse when present.
    if (typeof text !== 'string' || text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new GraphCallError(`${method} ${path}: response body is not JSON`, 502, 'badJson');
    }
  }

  async answer(tenantId: string, callId: string, body: AnswerBody): Promise<void> {
    await this.send(tenantId, 'POST', `/communications/calls/${encodeURIComponent(callId)}/answer`, answerBodySchema.parse(body));
  }

  async reject(tenantId: string, callId: string, body: RejectBody): Promise<void> {
    await this.send(tenantId, 'POST', `/communications/calls/${encodeURIComponent(callId)}/reject`, rejectBodySchema.parse(body));
  }

  /** Returns the operation Graph answered with (`completed` = success; `notStarted`/`running` = outcome comes later). */
  async updateRecordingStatus(tenantId: string, callId: string, body: UpdateRecordingStatusBody): Promise<CommsOperation> {
    const res = await this.send(
      tenantId, 'POST', `/communications/calls/${encodeURIComponent(callId)}/updateRecordingStatus`,
      updateRecordingStatusBodySchema.parse(body),
    );
    const parsed = commsOperationSchema.safeParse(res ?? {});
    if (!parsed.success) throw new GraphCallError('updateRecordingStatus answered with an unreadable operation', 502, 'badOperation');
    return parsed.data;
  }

  async keepAlive(tenantId: string, callId: string): Promise<void> {
    await this.send(tenantId, 'POST', `/communications/calls/${encodeURIComponent(callId)}/keepAlive`);
  }

  async getCall(tenantId: string, callId: string): Promise<Call> {
    const res = await this.send(tenantId, 'GET', `/communications/calls/${encodeURIComponent(callId)}`);
    const parsed = callSchema.safeParse(res ?? {});
    if (!parsed.success) throw new GraphCallError('GET call answered with an unreadable call', 502, 'badCall');
    return parsed.data;
  }

  async hangUp(tenantId: string, callId: string): Promise<void> {
    await this.send(tenantId, 'DELETE', `/communications/calls/${encodeURIComponent(callId)}`);
  }
}

function toGraphCallError(err: unknown, what: string): GraphCallError {
  if (err instanceof GraphCallError) return err;
  if (err instanceof GraphError) {
    const status = err.statusCode > 0 ? err.statusCode : 0;
    // Text responses leave the error body unparsed: Graph's `{"error":{"code","message"}}` is read here.
    const body = graphErrorBody(err.body);
    const code = err.code ?? body?.code ?? null;
    const message = err.message || body?.message || '';
    return new GraphCallError(`${what} failed: ${status} ${code ?? ''} ${message}`.trim(), status, code);
  }
  const e = err as Error;
  return new GraphCallError(`${what} failed: ${e?.name ?? 'Error'} ${e?.message ?? String(err)}`, 0, e?.name ?? null);
}

const graphErrorBodySchema = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

function graphErrorBody(body: unknown): { code?: string | undefined; message?: string | undefined } | undefined {
  if (typeof body !== 'string' || !body.startsWith('{')) return undefined;
  try {
    const parsed = graphErrorBodySchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}
