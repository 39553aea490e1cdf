// Re-posts the media events the orchestration must not miss (`mediaFlowing`, `sessionAdopted`) until what answers
// them arrives (the session's grant or revoke). The orchestration can lose an event at a continueAsNew (see
// functions/README.md, "Events at continueAsNew"); a re-post carries the first post's eventId and `at`, so the
// orchestration's dedup applies it once. Bounded: after `maxReposts` it stops and says so.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { MediaEventInput, MediaEventSink } from './media-event-poster.js';

export interface RepostOptions {
  /** Time between re-posts. */
  intervalMs: number;
  /** Re-posts after the first post, at most. */
  maxReposts: number;
}

/** Every 5 s for 2 minutes: longer than a continueAsNew drain, shorter than a call's establish timeout + grant. */
export const DEFAULT_REPOST: RepostOptions = { intervalMs: 5_000, maxReposts: 24 };

interface Pending {
  event: MediaEventInput & { eventId: string; at: string };
  reposts: number;
  timer: NodeJS.Timeout;
}

export class EventReposter {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly sink: MediaEventSink,
    private readonly options: RepostOptions,
    private readonly log: Logger,
  ) {}

  /** Posts `event` now and again every `intervalMs` under `key` until settle(key); a running key is left as it is. */
  start(key: string, input: MediaEventInput): void {
    if (this.pending.has(key)) return;
    const event = { ...input, eventId: input.eventId ?? randomUUID(), at: input.at ?? new Date().toISOString() };
    this.sink.emit(event);
    if (this.options.maxReposts <= 0) return;
    const entry: Pending = { event, reposts: 0, timer: this.schedule(key) };
    this.pending.set(key, entry);
  }

  private schedule(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.repost(key), this.options.intervalMs);
    timer.unref();
    return timer;
  }

  private repost(key: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    entry.reposts += 1;
    this.log.info('media event re-posted (no answer yet)', { key, type: entry.event.type, eventId: entry.event.eventId, repost: entry.reposts, of: this.options.maxReposts });
    this.sink.emit(entry.event);
    if (entry.reposts >= this.options.maxReposts) {
      this.pending.delete(key);
      this.log.warn('media event re-posts exhausted: no answer arrived', { key, type: entry.event.type, eventId: entry.event.eventId, reposts: entry.reposts });
      return;
    }
    entry.timer = this.schedule(key);
  }

  /** The answer arrived (or is no longer needed): stop re-posting `key`. */
  settle(key: string, why: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(key);
    this.log.info('media event answered: re-posts stop', { key, type: entry.event.type, eventId: entry.event.eventId, reposts: entry.reposts, why });
  }

  settleAll(why: string): void {
    for (const key of [...this.pending.keys()]) this.settle(key, why);
  }

  /** Keys still being re-posted. */
  get keys(): string[] {
    return [...this.pending.keys()];
  }
}
