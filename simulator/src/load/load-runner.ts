// Load mode: offers N scenario calls at R calls/s (ramping concurrency), prints progress, returns the summary.
import type { SimClient, CallSummary } from '../cli/sim-client.js';
import { formatSummary, summarize, type LoadSummary } from './summary.js';

export interface LoadOptions {
  scenario: string;
  calls: number;
  ratePerSec: number;
  /** Clock scale while the run lasts (simulated seconds per real second); restored after. */
  clockScale?: number;
  overrides?: Record<string, unknown>;
  progressEveryMs: number;
  /** Give up waiting for calls to end after this long (real ms). */
  settleTimeoutMs: number;
  out: (line: string) => void;
}

export async function runLoad(client: SimClient, o: LoadOptions): Promise<LoadSummary> {
  const before = await client.call<{ scale: number }>('GET', '/_sim/clock');
  if (o.clockScale) await client.call('POST', '/_sim/clock', { scale: o.clockScale });
  const ids = new Set<string>();
  const startErrors: string[] = [];
  const t0 = Date.now();
  let last: CallSummary[] = [];
  const poll = async (): Promise<CallSummary[]> => {
    last = (await client.listCalls()).filter((c) => ids.has(c.id));
    return last;
  };
  const progress = setInterval(() => {
    void poll().then((calls) => {
      const s = summarize(calls);
      const active = calls.filter((c) => c.state !== 'ended').length;
      o.out(`[${((Date.now() - t0) / 1000).toFixed(1)}s] offered=${ids.size}/${o.calls} active=${active} ended=${s.ended} answered<5s=${s.answeredWithin5s} recording=${s.recordingConfirmed} p50=${s.answerLatencyMs.p50 ?? '-'}ms p99=${s.answerLatencyMs.p99 ?? '-'}ms`);
    }, () => undefined);
  }, o.progressEveryMs);
  try {
    const intervalMs = 1000 / o.ratePerSec;
    const starts: Promise<void>[] = [];
    for (let i = 0; i < o.calls; i++) {
      const due = t0 + i * intervalMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      starts.push(client.startCall(o.scenario, o.overrides).then((c) => void ids.add(c.id), (err: unknown) => void startErrors.push(String(err))));
    }
    await Promise.all(starts);
    const until = Date.now() + o.settleTimeoutMs;
    while (Date.now() < until) {
      const calls = await poll();
      if (calls.length === ids.size && calls.every((c) => c.state === 'ended')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    clearInterval(progress);
    if (o.clockScale) await client.call('POST', '/_sim/clock', { scale: before.scale });
  }
  const summary = summarize(await poll());
  if (startErrors.length > 0) summary.failedByReason['start error'] = startErrors.length;
  o.out(formatSummary(summary));
  return summary;
}
