// Delivers notifications like Graph: bearer JWT, retries on non-2xx and timeouts, redirects on 302/307,
// serialized per call leg, with switchable faults (duplicates, reordering, delays, dropped terminated).
import { randomUUID } from 'node:crypto';
import type { Faults } from './faults.js';
import type { Logger } from '../log.js';

export interface DeliveryOptions {
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = { timeoutMs: 5000, maxAttempts: 6, backoffMs: 200 };

export interface Outgoing {
  legId: string;
  chainId: string;
  url: string;
  body: Record<string, unknown>;
  /** Short label for logs and the delivery record (`incoming`, `established`, `roster`, `terminated`…). */
  kind: string;
  faults: Faults;
  /** Called with the outcome of the first copy. */
  onDone?: (r: DeliveryResult) => void;
  /** Called just before the first attempt goes out (for answer-deadline timing). */
  onFirstAttempt?: () => void;
}

export interface DeliveryResult {
  status: number | 'error' | 'dropped';
  attempts: number;
  duplicate?: boolean;
}

export type TokenSource = (faults: Faults) => Promise<string | undefined>;

export class Notifier {
  private queues = new Map<string, Promise<void>>();
  private held = new Map<string, Outgoing>();
  private closed = false;

  constructor(
    private readonly token: TokenSource,
    private readonly log: Logger,
    private readonly options: DeliveryOptions = DEFAULT_DELIVERY,
  ) {}

  /** Queues a notification for its leg; deliveries of one leg go out one after another. */
  send(n: Outgoing): void {
    if (n.faults.dropTerminated && n.kind === 'terminated') {
      n.onDone?.({ status: 'dropped', attempts: 0 });
      return;
    }
    if (n.faults.reorder && !['incoming', 'terminated'].includes(n.kind)) {
      const prev = this.held.get(n.legId);
      if (!prev) {
        this.held.set(n.legId, n);
        // Never hold forever: flush after a short while if nothing follows.
        setTimeout(() => this.flushHeld(n.legId, n), 300).unref();
        return;
      }
      this.held.delete(n.legId);
      this.enqueue(n);
      this.enqueue(prev);
      return;
    }
    this.flushHeld(n.legId);
    this.enqueue(n);
  }

  /** Waits for every queued delivery. */
  async drain(): Promise<void> {
    for (const [legId] of this.held) this.flushHeld(legId);
    await Promise.all([...this.queues.values()]);
  }

  close(): void {
    this.closed = true;
  }

  private flushHeld(legId: string, only?: Outgoing): void {
    const h = this.held.get(legId);
    if (!h || (only && h !== only)) return;
    this.held.delete(legId);
    this.enqueue(h);
  }

  private enqueue(n: Outgoing): void {
    const prev = this.queues.get(n.legId) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (n.faults.delayMs) await sleep(n.faults.delayMs);
      n.onFirstAttempt?.();
      const result = await this.deliver(n);
      n.onDone?.(result);
      if (n.faults.duplicate) {
        const dup = await this.deliver(n);
        n.onDone?.({ ...dup, duplicate: true });
      }
    });
    const tracked = next.catch((err: unknown) => this.log.error('delivery crashed', { legId: n.legId, err: String(err) }));
    this.queues.set(n.legId, tracked);
    void tracked.then(() => {
      if (this.queues.get(n.legId) === tracked) this.queues.delete(n.legId);
    });
  }

  private async deliver(n: Outgoing): Promise<DeliveryResult> {
    let url = n.url;
    const messageId = randomUUID();
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      if (this.closed) return { status: 'error', attempts: attempt - 1 };
      let status: number | 'error' = 'error';
      try {
        const token = await this.token(n.faults);
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'user-agent': 'Microsoft-Skype/3.0,(Calling/1.0)',
          'x-microsoft-skype-chain-id': n.chainId,
          'x-microsoft-skype-message-id': randomUUID(),
          'x-microsoft-skype-original-message-id': messageId,
          'scenario-id': n.chainId,
          'x-microsoft-skype-caller-region': 'EUWE',
        };
        if (token) headers.authorization = `Bearer ${token}`;
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(n.body), redirect: 'manual', signal: AbortSignal.timeout(this.options.timeoutMs) });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        const location = res.headers.get('location');
        if ((status === 302 || status === 307) && location) {
          url = new URL(location, url).toString();
          continue;
        }
        if (status >= 200 && status < 300) return { status, attempts: attempt };
        if (status === 401 || status === 403) return { status, attempts: attempt };
      } catch (err) {
        this.log.warn('notification attempt failed', { legId: n.legId, kind: n.kind, attempt, err: String(err) });
      }
      if (attempt < this.options.maxAttempts) await sleep(this.options.backoffMs * 2 ** (attempt - 1));
      if (attempt === this.options.maxAttempts) return { status, attempts: attempt };
    }
    return { status: 'error', attempts: this.options.maxAttempts };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
