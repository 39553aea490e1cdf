/**
 * media-worker control API adapter (ARCHITECTURE.md "Webhook → media-worker"): reserve, grant, roster, seal,
 * release, load. JSON over HTTP with `x-worker-key`; every request has a timeout.
 */
import {
  LoadReportSchema, ReserveSessionResponseSchema, SealResponseSchema, WORKER_KEY_HEADER,
  type LoadReport, type RecordingGrantRequest, type ReserveSessionRequest, type ReserveSessionResponse,
  type RosterUpdate, type SealResponse,
} from '../../contracts/worker-api/index.js';
import type { z } from 'zod';
import { HttpTextClient } from './http-text.js';

export class WorkerCallError extends Error {
  override readonly name = 'WorkerCallError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
  get notFound(): boolean {
    return this.status === 404;
  }
  get transient(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export interface WorkerClientOptions {
  sharedKey: string;
  timeoutMs: number;
  /** workerId → control URL (no trailing slash). */
  workers: readonly { workerId: string; controlUrl: string }[];
  /** The HTTP client (keep-alive agents); one is created when not given. */
  http?: HttpTextClient;
}

export class WorkerClient {
  private readonly urls: Map<string, string>;
  private readonly http: HttpTextClient;

  constructor(private readonly options: WorkerClientOptions) {
    this.urls = new Map(options.workers.map((w) => [w.workerId, w.controlUrl]));
    this.http = options.http ?? new HttpTextClient();
  }

  workerIds(): string[] {
    return [...this.urls.keys()];
  }

  hasWorker(workerId: string): boolean {
    return this.urls.has(workerId);
  }

  private urlOf(workerId: string): string {
    const url = this.urls.get(workerId);
    if (!url) throw new WorkerCallError(`unknown worker "${workerId}"`, 404);
    return url;
  }

  private async request<S extends z.ZodType>(
    workerId: string, method: string, path: string, body: unknown, schema: S | null, timeoutMs = this.options.timeoutMs,
  ): Promise<{ status: number; data: z.infer<S> | null }> {
    const url = `${this.urlOf(workerId)}${path}`;
    let res: { status: number; text: string };
    try {
      res = await this.http.request(url, {
        method,
        headers: { [WORKER_KEY_HEADER]: this.options.sharedKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs,
      });
    } catch (err) {
      throw new WorkerCallError(`${method} ${url} failed: ${(err as Error).message}`, 0);
    }
    const { text } = res;
    if (res.status < 200 || res.status > 299) throw new WorkerCallError(`${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`, res.status);
    if (schema === null || text.length === 0) return { status: res.status, data: null };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WorkerCallError(`${method} ${url} answered invalid JSON`, 502);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new WorkerCallError(`${method} ${url} answered an unexpected body: ${parsed.error.message.slice(0, 300)}`, 502);
    return { status: res.status, data: parsed.data };
  }

  /**
   * Reserves (idempotently per call id) a media session; returns the media config for Graph's answer. `created` is
   * false when the worker already had a session for this call (200): someone else owns it, never release it.
   */
  async reserve(workerId: string, req: ReserveSessionRequest): Promise<ReserveSessionResponse & { created: boolean }> {
    const { data, status } = await this.request(workerId, 'POST', '/sessions', req, ReserveSessionResponseSchema);
    if (!data) throw new WorkerCallError('reserve answered no body', 502);
    return { ...data, created: status === 201 };
  }

  async setRecording(workerId: string, sessionId: string, req: RecordingGrantRequest): Promise<void> {
    await this.request(workerId, 'POST', `/sessions/${encodeURIComponent(sessionId)}/recording`, req, null);
  }

  async sendRoster(workerId: string, sessionId: string, update: RosterUpdate): Promise<void> {
    await this.request(workerId, 'POST', `/sessions/${encodeURIComponent(sessionId)}/roster`, update, null);
  }

  /** Seal can take a while (flushing chunks, writing the manifest): allow longer than control calls. */
  async seal(workerId: string, sessionId: string, reason: string, timeoutMs: number): Promise<SealResponse> {
    const { data } = await this.request(workerId, 'POST', `/sessions/${encodeURIComponent(sessionId)}/seal`, { reason }, SealResponseSchema, timeoutMs);
    if (!data) throw new WorkerCallError('seal answered no body', 502);
    return data;
  }

  async release(workerId: string, sessionId: string): Promise<void> {
    await this.request(workerId, 'DELETE', `/sessions/${encodeURIComponent(sessionId)}`, undefined, null);
  }

  async load(workerId: string, timeoutMs: number): Promise<LoadReport> {
    const { data } = await this.request(workerId, 'GET', '/load', undefined, LoadReportSchema, timeoutMs);
    if (!data) throw new WorkerCallError('load answered no body', 502);
    return data;
  }
}
