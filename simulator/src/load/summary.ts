// Load-run figures from call summaries: offered, answered within 5 s, recording confirmed, failures by reason, latency.
import type { CallSummary } from '../cli/sim-client.js';

export interface LoadSummary {
  offered: number;
  ended: number;
  answeredWithin5s: number;
  answeredLate: number;
  recordingConfirmed: number;
  failedByReason: Record<string, number>;
  answerLatencyMs: { p50: number | null; p99: number | null; max: number | null };
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? null;
}

export function summarize(calls: CallSummary[]): LoadSummary {
  const latencies: number[] = [];
  const failed: Record<string, number> = {};
  let within = 0;
  let late = 0;
  let recording = 0;
  for (const c of calls) {
    const counted = c.legs.filter((l) => l.invitation !== 0);
    for (const l of counted) if (l.answerLatencyMs !== null) latencies.push(l.answerLatencyMs);
    if (counted.some((l) => l.outcome === 'answered' && (l.answerLatencyMs ?? Infinity) < 5000)) within++;
    else if (counted.some((l) => l.outcome === 'timeout')) late++;
    if (c.users.some((u) => u.recording === 'recording')) recording++;
    for (const u of c.users) {
      if (u.call === 'blocked' || u.call === 'ejected') failed[`user ${u.call}`] = (failed[`user ${u.call}`] ?? 0) + 1;
    }
    for (const l of counted) {
      if (l.outcome && l.outcome !== 'answered') failed[`invite ${l.outcome}`] = (failed[`invite ${l.outcome}`] ?? 0) + 1;
      const r = l.resultInfo;
      if (r && l.outcome === 'answered' && r.code >= 400) failed[`leg ${r.code}/${r.subcode}`] = (failed[`leg ${r.code}/${r.subcode}`] ?? 0) + 1;
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    offered: calls.length,
    ended: calls.filter((c) => c.state === 'ended').length,
    answeredWithin5s: within,
    answeredLate: late,
    recordingConfirmed: recording,
    failedByReason: failed,
    answerLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? null },
  };
}

export function formatSummary(s: LoadSummary): string {
  const reasons = Object.entries(s.failedByReason).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
  return [
    `offered              ${s.offered}`,
    `ended                ${s.ended}`,
    `answered within 5 s  ${s.answeredWithin5s}`,
    `answered too late    ${s.answeredLate}`,
    `recording confirmed  ${s.recordingConfirmed}`,
    `failed by reason     ${reasons}`,
    `answer latency ms    p50=${s.answerLatencyMs.p50 ?? '-'} p99=${s.answerLatencyMs.p99 ?? '-'} max=${s.answerLatencyMs.max ?? '-'}`,
  ].join('\n');
}
