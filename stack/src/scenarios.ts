import { z } from 'zod';
import { reportCalls } from './call-report.js';
import { requestJson } from './http-json.js';
import type { RunningStack } from './stack.js';

/** Scenarios run after `npm start` when the simulator has them (others are ignored). */
export const DEFAULT_SCENARIOS = ['voip-inbound', 'pstn-inbound', 'group-call', 'meeting'];

const scenarioListSchema = z.object({
  scenarios: z.array(z.union([z.string(), z.looseObject({ name: z.string() })])),
});
const callSummarySchema = z.looseObject({
  id: z.string(),
  scenario: z.string().optional(),
  state: z.string(),
  legs: z
    .array(
      z.looseObject({
        id: z.string().optional(),
        state: z.string().optional(),
        outcome: z.unknown().optional(),
        recordingStatus: z.unknown().optional(),
      }),
    )
    .optional(),
});
export type CallSummary = z.infer<typeof callSummarySchema>;

export interface ScenarioRunOptions {
  readonly say?: (message: string) => void;
  /** How long to follow the calls before printing where they are. */
  readonly followMs?: number;
  readonly pollIntervalMs?: number;
  readonly requestTimeoutMs?: number;
}

/**
 * Starts the default simulated calls through the simulator's control API (`POST /_sim/calls`), follows them until they
 * end or `followMs` passes, and prints each call's outcome. Skips (resolving []) when the simulator is not running.
 */
export async function runDefaultScenarios(stack: RunningStack, options: ScenarioRunOptions = {}): Promise<CallSummary[]> {
  const say = options.say ?? ((m: string) => process.stdout.write(`[calls] ${m}\n`));
  const sim = stack.urls.simulator;
  if (!sim) {
    say('simulator not running: no simulated calls');
    return [];
  }
  if (!stack.urls.host) {
    say('local host (the recorder) not running: no simulated calls (nobody would answer them)');
    return [];
  }
  const caFile = stack.certs.certFile;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const listed = await requestJson(`${sim}/_sim/scenarios`, { caFile, timeoutMs });
  const parsed = scenarioListSchema.safeParse(listed.body);
  if (listed.status !== 200 || !parsed.success) {
    say(`simulator has no scenario list (GET /_sim/scenarios → ${listed.status}); no simulated calls`);
    return [];
  }
  const available = parsed.data.scenarios.map((s) => (typeof s === 'string' ? s : s.name));
  const chosen = DEFAULT_SCENARIOS.filter((name) => available.includes(name));
  const names = chosen.length > 0 ? chosen : available.slice(0, 1);
  if (names.length === 0) {
    say('simulator lists no scenarios; no simulated calls');
    return [];
  }
  say(`starting ${names.join(', ')} (available: ${available.join(', ')})`);

  const calls: CallSummary[] = [];
  for (const scenario of names) {
    const res = await requestJson(`${sim}/_sim/calls`, { method: 'POST', body: { scenario }, caFile, timeoutMs });
    const call = callSummarySchema.safeParse(res.body);
    if (res.status !== 201 || !call.success) {
      say(`${scenario}: simulator refused (${res.status}) ${JSON.stringify(res.body).slice(0, 300)}`);
      continue;
    }
    say(`${scenario}: call ${call.data.id} ${call.data.state}`);
    calls.push(call.data);
  }

  const deadline = Date.now() + (options.followMs ?? 120_000);
  let latest = calls;
  while (latest.some((c) => c.state !== 'ended') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, options.pollIntervalMs ?? 2_000));
    latest = await Promise.all(
      latest.map(async (c) => {
        if (c.state === 'ended') return c;
        const res = await requestJson(`${sim}/_sim/calls/${encodeURIComponent(c.id)}`, { caFile, timeoutMs }).catch(() => undefined);
        const parsedCall = callSummarySchema.safeParse(res?.body);
        return parsedCall.success ? parsedCall.data : c;
      }),
    );
  }
  for (const c of latest) say(describeCall(c));
  if (stack.urls.mediaWorker) {
    say('per recorded leg (verified with npm run verify, compared with what the simulator sent):');
    await reportCalls(stack, latest.map((c) => c.id), { say });
  }
  return latest;
}

/** One line per call: scenario, state, and each recorder leg's state, outcome and recording status. */
export function describeCall(c: CallSummary): string {
  const legs = (c.legs ?? [])
    .map((l) => `leg ${l.state ?? '?'} outcome=${JSON.stringify(l.outcome ?? null)} recording=${JSON.stringify(l.recordingStatus ?? null)}`)
    .join('; ');
  return `${c.scenario ?? 'call'} ${c.id}: ${c.state}${legs ? ` — ${legs}` : ''}`;
}
