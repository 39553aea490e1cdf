/**
 * After `npm start` has placed its simulated calls: one report line per recorded leg — answer latency, the recording
 * status the users were shown, streams, chunks, and the integrity verdict of `npm run verify` (run as a child process,
 * so the stack proves the same tool an operator uses), plus whether every stored stream's SHA-256 equals what the
 * simulator sent (its ground truth).
 */
import { execFile } from 'node:child_process';
import { z } from 'zod';
import { requestJson } from './http-json.js';
import { distEntry } from './repo-paths.js';
import type { RunningStack } from './stack.js';

const VERIFY_ENTRY = 'media-worker/src/verify-cli.js';

const verdictSchema = z.looseObject({
  ok: z.boolean(),
  streams: z.array(z.looseObject({ streamId: z.string(), chunks: z.number(), frames: z.number(), sha256: z.string(), ok: z.boolean() })),
  problems: z.array(z.string()).optional(),
  completeness: z.enum(['complete', 'completeWithRecovery', 'declaredGaps']).optional(),
  missingFrames: z.number().optional(),
  sealedBy: z.string().nullable().optional(),
  recordedBy: z.array(z.string()).optional(),
});
export type Verdict = z.infer<typeof verdictSchema>;

const simCallSchema = z.looseObject({
  legs: z.array(z.looseObject({ id: z.string(), outcome: z.unknown().optional(), answerLatencyMs: z.number().nullable().optional(), recordingStatus: z.unknown().optional() })).optional(),
  groundTruth: z.record(z.string(), z.looseObject({ streams: z.unknown().optional() })).optional(),
});

const groundTruthStreamsSchema = z.union([
  z.array(z.looseObject({ streamId: z.string(), sha256: z.string() })),
  z.record(z.string(), z.looseObject({ sha256: z.string() })),
]);

function expectedHashes(raw: unknown): Map<string, string> {
  const parsed = groundTruthStreamsSchema.safeParse(raw);
  const out = new Map<string, string>();
  if (!parsed.success) return out;
  if (Array.isArray(parsed.data)) for (const s of parsed.data) out.set(s.streamId, s.sha256);
  else for (const [id, s] of Object.entries(parsed.data)) out.set(id, s.sha256);
  return out;
}

/** Runs `verify-cli <callId> --json` in the stack root; `null` while no manifest exists yet. */
export function runVerify(stack: RunningStack, callId: string, timeoutMs = 60_000): Promise<{ verdict: Verdict | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [distEntry(VERIFY_ENTRY), callId, '--json'],
      { cwd: stack.layout.root, timeout: timeoutMs, env: { ...process.env, NODE_EXTRA_CA_CERTS: stack.certs.certFile } },
      (_err, stdout, stderr) => {
        try {
          const parsed = verdictSchema.safeParse(JSON.parse(stdout));
          resolve({ verdict: parsed.success ? parsed.data : null, output: `${stdout}${stderr}`.trim() });
        } catch {
          resolve({ verdict: null, output: `${stdout}${stderr}`.trim() });
        }
      },
    );
  });
}

export interface LegReport {
  callId: string;
  line: string;
  verified: boolean;
}

/** Reports every answered leg of the given simulated calls, waiting up to `settleMs` for each to be sealed. */
export async function reportCalls(
  stack: RunningStack,
  callIds: readonly string[],
  options: { settleMs?: number; say?: (m: string) => void } = {},
): Promise<LegReport[]> {
  const say = options.say ?? ((m: string) => process.stdout.write(`[calls] ${m}\n`));
  const sim = stack.urls.simulator;
  if (!sim) return [];
  const reports: LegReport[] = [];
  for (const id of callIds) {
    const res = await requestJson(`${sim}/_sim/calls/${encodeURIComponent(id)}`, { caFile: stack.certs.certFile, timeoutMs: 10_000 }).catch(() => undefined);
    const call = simCallSchema.safeParse(res?.body);
    if (!call.success) continue;
    for (const leg of call.data.legs ?? []) {
      if (leg.outcome !== 'answered') {
        const line = `leg ${leg.id}: not answered (${JSON.stringify(leg.outcome ?? null)})`;
        say(line);
        reports.push({ callId: leg.id, line, verified: false });
        continue;
      }
      const deadline = Date.now() + (options.settleMs ?? 60_000);
      let result = await runVerify(stack, leg.id);
      while (!result.verdict?.ok && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2_000));
        result = await runVerify(stack, leg.id);
      }
      const v = result.verdict;
      const expected = expectedHashes(call.data.groundTruth?.[leg.id]?.streams);
      const exact = v !== null && expected.size > 0 && v.streams.length === expected.size && v.streams.every((s) => expected.get(s.streamId) === s.sha256);
      const streams = v ? v.streams.map((s) => `${s.streamId}:${s.chunks} chunks/${s.frames} frames`).join(', ') : '-';
      const verdict = v ? (v.ok ? (v.completeness === 'declaredGaps' ? `INTACT WITH DECLARED GAPS (${v.missingFrames ?? '?'} frames)` : v.completeness === 'completeWithRecovery' ? 'INTACT (complete with recovery)' : 'INTACT') : `NOT INTACT (${(v.problems ?? []).slice(0, 2).join('; ')})`) : `no verdict (${result.output.split('\n')[0] ?? ''})`;
      const line =
        `leg ${leg.id}: answered in ${leg.answerLatencyMs ?? '?'} ms, users shown ${JSON.stringify(leg.recordingStatus ?? null)}, ` +
        `recorded by ${v?.recordedBy && v.recordedBy.length > 0 ? `${v.recordedBy.join(', ')} (sealed by ${v.sealedBy ?? '?'})` : '?'}, ` +
        `streams ${v?.streams.length ?? 0} [${streams}], verify ${verdict}, ` +
        `sample-exact vs simulator: ${expected.size === 0 ? 'no ground truth' : exact ? 'yes' : 'NO'}`;
      say(line);
      reports.push({ callId: leg.id, line, verified: Boolean(v?.ok) && exact });
    }
  }
  return reports;
}
