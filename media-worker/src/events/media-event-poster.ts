// Posts media events to `{FUNCTIONS_BASE_URL}/media-events`; tolerates the functions app being absent
// (bounded queue, retry with exponential backoff, give up after maxAttempts).
import { randomUUID } from 'node:crypto';
import { WORKER_KEY_HEADER, type MediaEvent } from '../../../contracts/worker-api/index.js';
import type { Logger } from '../log.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/**
 * An event to post. `eventId` (the orchestration's dedup id) and `at` are set by the poster unless given: a re-post
 * of the same event passes the ones of its first post, so the orchestration applies it once.
 */
export type MediaEventInput = DistributiveOmit<MediaEvent, 'workerId' | 'at' | 'eventId'> & { eventId?: string; at?: string };

export interface MediaEventSink {
  emit(event: MediaEventInput): void;
}

export interface MediaEventPosterOptions {
  baseUrl: string | undefined;
  sharedKey: string;
  workerId: string;
  maxQueued: number;
  maxAttempts: number;
  initialBackoffMs: number;
  requestTimeoutMs: number;
}

export class MediaEventPoster implements MediaEventSink {
  private queue: MediaEvent[] = [];
  private running = false;
  private stopped = false;
  posted = 0;
  dropped = 0;

  constructor(
    private readonly options: MediaEventPosterOptions,
    private readonly log: Logger,
  ) {}

  emit(input: MediaEventInput): void {
    const event = { ...input, workerId: this.options.workerId, at: input.at ?? new Date().toISOString(), eventId: input.eventId ?? randomUUID() } as MediaEvent;
    this.log.info('media event', { callId: event.callId, sessionId: event.sessionId, type: event.type });
    if (!this.options.baseUrl || this.stopped) return;
    if (this.queue.length >= this.options.maxQueued) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(event);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const event = this.queue[0] as MediaEvent;
        await this.deliver(event);
        this.queue.shift();
      }
    } finally {
      this.running = false;
    }
  }

  private async deliver(event: MediaEvent): Promise<void> {
    const url = `${this.options.baseUrl?.replace(/\/$/, '')}/media-events`;
    let backoff = this.options.initialBackoffMs;
    for (let attempt = 1; attempt <= this.options.maxAttempts && !this.stopped; attempt++) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [WORKER_KEY_HEADER]: this.options.sharedKey },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)) {
          if (!res.ok) this.log.warn('media event refused', { callId: event.callId, type: event.type, status: res.status });
          else this.posted++;
          return;
        }
        this.log.warn('media event post failed', { callId: event.callId, type: event.type, status: res.status, attempt });
      } catch (err) {
        this.log.warn('media event post failed', { callId: event.callId, type: event.type, error: String(err), attempt });
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 10_000);
    }
    this.dropped++;
  }

  stop(): void {
    this.stopped = true;
  }
}
