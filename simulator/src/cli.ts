// CLI: `npm run simulate -- --scenario NAME [--sim URL]` runs one scenario call on a running simulator and checks
// its expectation; `--calls N --rate R [--accelerate]` is the load mode; `--list` lists scenarios.
import { parseArgs } from 'node:util';
import { SimClient, type CallSummary } from './cli/sim-client.js';
import { runLoad } from './load/load-runner.js';
import { listScenarios, loadScenario } from './teams/scenario-files.js';

const USAGE = `usage:
  npm run simulate -- --scenario NAME [--sim URL] [--ca FILE] [--no-wait]
  npm run simulate -- --calls N --rate R [--scenario NAME] [--accelerate [--scale S]] [--sim URL]
  npm run simulate -- --list
options:
  --sim URL       simulator base URL (default $SIM_URL or https://127.0.0.1:7090)
  --ca FILE       PEM to trust (default: NODE_EXTRA_CA_CERTS / system); --insecure skips verification (dev only)
  --accelerate    run the simulated clock faster (default scale 60) during load mode
  --timeout SEC   how long to wait for calls to end (default 120)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      sim: { type: 'string' },
      ca: { type: 'string' },
      insecure: { type: 'boolean', default: false },
      calls: { type: 'string' },
      rate: { type: 'string', default: '5' },
      accelerate: { type: 'boolean', default: false },
      scale: { type: 'string' },
      timeout: { type: 'string', default: '120' },
      'no-wait': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const name of await listScenarios()) console.log(`${name.padEnd(22)} ${(await loadScenario(name)).description}`);
    return 0;
  }
  const baseUrl = (values.sim ?? process.env.SIM_URL ?? 'https://127.0.0.1:7090').replace(/\/$/, '');
  const client = new SimClient({ baseUrl, caFile: values.ca, insecure: values.insecure });
  const timeoutMs = Number(values.timeout) * 1000;
  try {
    if (values.calls) {
      const calls = Number(values.calls);
      const rate = Number(values.rate);
      if (!(calls > 0) || !(rate > 0)) throw new Error('--calls and --rate must be positive numbers');
      const scale = values.accelerate ? Number(values.scale ?? '60') : undefined;
      console.log(`load: ${calls} × ${values.scenario ?? 'pstn-inbound'} at ${rate}/s${scale ? `, clock ×${scale}` : ''} against ${baseUrl}`);
      const s = await runLoad(client, { scenario: values.scenario ?? 'pstn-inbound', calls, ratePerSec: rate, clockScale: scale, progressEveryMs: 2000, settleTimeoutMs: timeoutMs, out: (l) => console.log(l) });
      return s.offered === calls && s.answeredWithin5s === calls ? 0 : 1;
    }
    if (!values.scenario) {
      console.error(USAGE);
      return 2;
    }
    const started = await client.startCall(values.scenario);
    console.log(`started ${values.scenario}: call ${started.id}, legs ${started.legs.map((l) => l.id).join(', ')}`);
    if (values['no-wait']) return 0;
    return await follow(client, started.id, values.scenario, timeoutMs);
  } finally {
    client.close();
  }
}

async function follow(client: SimClient, id: string, scenarioName: string, timeoutMs: number): Promise<number> {
  const scenario = await loadScenario(scenarioName).catch(() => undefined);
  const until = Date.now() + timeoutMs;
  let seen = 0;
  let state: CallSummary & Record<string, unknown> = await client.getCall(id);
  while (Date.now() < until) {
    state = await client.getCall(id);
    const timeline = (state.timeline as { at: string; type: string; detail?: unknown }[] | undefined) ?? [];
    for (const e of timeline.slice(seen)) console.log(`  ${e.at}  ${e.type}${e.detail ? ` ${JSON.stringify(e.detail)}` : ''}`);
    seen = timeline.length;
    const gt = Object.keys((state.groundTruth as Record<string, unknown> | undefined) ?? {}).length;
    if (state.state === 'ended' && gt >= state.legs.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const u of state.users) console.log(`user ${u.key}: call=${u.call}${u.callReason ? ` (${u.callReason})` : ''} recording=${u.recording}`);
  const files = (state.groundTruthFiles as Record<string, string> | undefined) ?? {};
  for (const [leg, file] of Object.entries(files)) console.log(`ground truth ${leg}: ${file}`);
  const expect = scenario?.expect;
  if (state.state !== 'ended') {
    console.log('FAIL: the call did not end in time');
    return 1;
  }
  if (!expect) return 0;
  const u = state.users[0];
  const ok = (!expect.userCall || u?.call === expect.userCall) && (!expect.recording || u?.recording === expect.recording);
  console.log(`${ok ? 'PASS' : 'FAIL'}: expected ${JSON.stringify(expect)}, got call=${u?.call} recording=${u?.recording}`);
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`simulate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
