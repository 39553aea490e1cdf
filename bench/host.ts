/**
 * `npm run bench:host`: the local host + Durable extension under load, over HTTP, with the CLI as a child process.
 *   1. HTTP-trigger round trip p50/p99 (GET /api/ping), and the same handler called directly in-process.
 *   2. Lifecycles/s: start → 5 activities → external event → complete (BENCH_LIFECYCLES, default 1000; 64 in flight).
 *   3. A 100-way fan-out/fan-in: start → Completed, median of 5 runs.
 *   4. Host overhead ratio: time per lifecycle in the host vs. calling the orchestrator handler (for each replay
 *      episode) and the activity handler directly, with no host in between.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import * as df from 'durable-functions';
import { applyOutcome, type OrchestrationTriggerPayload, payloadObject, prepareEpisode, takeBatch } from '../local-host/src/durable/episode.js';
import { newExecState } from '../local-host/src/durable/exec-state.js';
import { EventType, isTerminal } from '../local-host/src/durable/history-types.js';
import { orchestratorStateSchema } from '../local-host/src/durable/orchestrator-state.js';
import type { InboxMessage, InstanceRow } from '../local-host/src/durable/store.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const cli = path.join(repoRoot, 'dist/local-host/src/cli.js');
const app = path.join(repoRoot, 'test/fixtures/durable-app');
const lifecycles = Number(process.env.BENCH_LIFECYCLES ?? '1000');
const inFlight = Number(process.env.BENCH_CONCURRENCY ?? '64');
/** Which parts to run (comma list of http, lifecycles, fanout); default all. */
const parts = new Set((process.env.BENCH_PARTS ?? 'http,lifecycles,fanout').split(','));

interface Row {
  metric: string;
  value: string;
  note: string;
}

async function startHost(dataDir: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_HOST_NODE_ARGS ?? '').split(' ').filter(Boolean), cli, 'start', '--app', app, '--port', '0', '--data', dataDir, '--log-level', 'error'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /READY local-host (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`host exited (${code}) before READY`)));
  });
  return { child, baseUrl };
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function benchHttp(baseUrl: string): Promise<{ p50: number; p99: number; directUs: number }> {
  for (let i = 0; i < 200; i++) await (await fetch(`${baseUrl}/api/ping`)).text();
  const samples: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    const res = await fetch(`${baseUrl}/api/ping`);
    await res.text();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  // The same handler, called directly.
  const handler = async (): Promise<{ body: string }> => ({ body: 'pong' });
  const n = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await handler();
  const directUs = ((performance.now() - t0) / n) * 1000;
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), directUs };
}

/** utime + stime of a process in ms (Linux /proc), or NaN elsewhere. */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 128 });

/** A lean HTTP client (node:http with keep-alive): fetch costs the load generator several times more CPU. */
function request(method: string, url: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function benchLifecycles(baseUrl: string, pid: number | undefined): Promise<{ perSecond: number; seconds: number; hostCpuMs: number; clientCpuMs: number }> {
  const cpu0 = cpuMs(pid);
  const self0 = process.cpuUsage();
  const hook = `${baseUrl}/runtime/webhooks/durabletask`;
  const run = `bench-${Date.now().toString(36)}`;
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lifecycles) {
      const id = `${run}-${next++}`;
      const s = await request('POST', `${hook}/orchestrators/lifecycle/${id}`, '1');
      if (s.status !== 202) throw new Error(`start failed: ${s.status} ${s.text}`);
      const e = await request('POST', `${hook}/instances/${id}/raiseEvent/go`, '"now"');
      if (e.status !== 202) throw new Error(`raise failed: ${e.status} ${e.text}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  // Poll cheaply (is any lifecycle still Pending/Running?), so the measurement does not list every finished row each time.
  for (;;) {
    const res = await request('GET', `${hook}/instances?instanceIdPrefix=${run}-&runtimeStatus=Pending,Running&top=1`);
    if ((JSON.parse(res.text) as unknown[]).length === 0) break;
    await sleep(200);
  }
  const seconds = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const cpu1 = cpuMs(pid);
  // Then check every lifecycle once: all Completed, with the expected output.
  const res = await request('GET', `${hook}/instances?instanceIdPrefix=${run}-&top=${lifecycles + 1}`);
  const list = JSON.parse(res.text) as { runtimeStatus: string; output: unknown }[];
  if (list.length !== lifecycles) throw new Error(`expected ${lifecycles} lifecycles, found ${list.length}`);
  const bad = list.find((s) => s.runtimeStatus !== 'Completed' || JSON.stringify(s.output) !== JSON.stringify({ n: 94, go: 'now' }));
  if (bad) throw new Error(`unexpected lifecycle ${bad.runtimeStatus} output ${JSON.stringify(bad.output)}`);
  return { perSecond: lifecycles / seconds, seconds, hostCpuMs: (cpu1 - cpu0) / lifecycles, clientCpuMs: (self.user + self.system) / 1000 / lifecycles };
}

async function benchFanOut(baseUrl: string): Promise<number> {
  const hook = `${baseUrl}/runtime/webhooks/durabletask`;
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const s = await fetch(`${hook}/orchestrators/fanOut`, { method: 'POST', body: '100', headers: { 'content-type': 'application/json' } });
    const { id } = (await s.json()) as { id: string };
    for (;;) {
      const st = (await (await fetch(`${hook}/instances/${id}`)).json()) as { runtimeStatus: string; output: unknown };
      if (st.runtimeStatus === 'Completed') {
        if (st.output !== 10100) throw new Error(`fan-out output ${JSON.stringify(st.output)}`);
        break;
      }
      if (st.runtimeStatus === 'Failed') throw new Error('fan-out failed');
      await sleep(2);
    }
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return percentile(times, 50);
}

type Generator = (context: { df: { getInput(): unknown; callActivity(n: string, i: unknown): unknown; waitForExternalEvent(n: string): unknown } }) => unknown;

/** The lifecycle orchestrator of the fixture app (identical copy). */
const lifecycleOrchestrator: Generator = function* (context) {
  let n = (context.df.getInput() as number | undefined) ?? 0;
  for (let i = 0; i < 5; i++) n = (yield context.df.callActivity('double', n + 1)) as number;
  const go: unknown = yield context.df.waitForExternalEvent('go');
  return { n, go };
};

/** ms per lifecycle when the orchestrator handler (every replay episode) and the activity are called directly. */
async function directLifecycleMs(): Promise<number> {
  const require = createRequire(import.meta.url);
  const { Orchestrator } = require('durable-functions/lib/src/orchestrations/Orchestrator.js') as {
    Orchestrator: new (fn: Generator) => { listen(): (trigger: unknown, context: unknown) => Promise<unknown> };
  };
  const handler = new Orchestrator(lifecycleOrchestrator).listen();
  const activity = (n: number): number => n * 2;
  // Build the episodes' payloads once with the engine's pure logic (not timed).
  const payloads: OrchestrationTriggerPayload[] = [];
  const now = Date.now();
  let instance: InstanceRow = {
    instanceId: 'direct', name: 'lifecycle', executionId: 'e', status: 'Pending', input: '1', output: null, customStatus: null,
    createdMs: now, updatedMs: now, parent: null, state: newExecState(),
  };
  let inbox: InboxMessage[] = [
    { id: 1, instanceId: 'direct', executionId: 'e', visibleMs: now, chain: false, event: { EventType: EventType.ExecutionStarted, EventId: -1, Timestamp: '', Name: 'lifecycle', Input: '1' } },
  ];
  let history: ReturnType<typeof prepareEpisode>['newEvents'] = [];
  let id = 2;
  while (!isTerminal(instance.status)) {
    const prep = prepareEpisode(instance, history, takeBatch(inbox), now);
    inbox = inbox.slice(prep.consumed.length);
    const payload = payloadObject(prep, history);
    payloads.push(structuredClone(payload));
    const state = orchestratorStateSchema.parse(JSON.parse(JSON.stringify(await handler(payload, new df.DummyOrchestrationContext()))));
    const outcome = applyOutcome(prep, { kind: 'state', state });
    history = [...history, ...prep.newEvents, ...outcome.work.events];
    instance = outcome.instance;
    for (const a of outcome.work.activities) {
      const result = activity(JSON.parse(a.input ?? '0') as number);
      inbox.push({ id: id++, instanceId: 'direct', executionId: 'e', visibleMs: now, chain: false, event: { EventType: EventType.TaskCompleted, EventId: -1, Timestamp: '', TaskScheduledId: a.taskId, Result: JSON.stringify(result) } });
    }
    if (outcome.instance.state.appliedActions === 6 && !inbox.some((m) => m.event.EventType === EventType.EventRaised) && !history.some((h) => h.EventType === EventType.EventRaised)) {
      inbox.push({ id: id++, instanceId: 'direct', executionId: null, visibleMs: now, chain: false, event: { EventType: EventType.EventRaised, EventId: -1, Timestamp: '', Name: 'go', Input: '"now"' } });
    }
    if (payloads.length > 20) throw new Error('direct lifecycle did not finish');
  }
  const rounds = 300;
  const copies = Array.from({ length: rounds }, () => payloads.map((p) => structuredClone(p)));
  // CPU time (not wall time), comparable with the host's CPU per lifecycle on a shared machine.
  const c0 = process.cpuUsage();
  for (const round of copies) {
    for (const p of round) await handler(p, new df.DummyOrchestrationContext());
    for (let i = 0; i < 5; i++) activity(i);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / rounds;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-host-'));
  const { child, baseUrl } = await startHost(dataDir);
  const rows: Row[] = [];
  try {
    const http = parts.has('http') ? await benchHttp(baseUrl) : { p50: NaN, p99: NaN, directUs: NaN };
    rows.push({ metric: 'HTTP trigger round trip p50', value: `${http.p50.toFixed(2)} ms`, note: '2000 sequential GET /api/ping, keep-alive' });
    rows.push({ metric: 'HTTP trigger round trip p99', value: `${http.p99.toFixed(2)} ms`, note: '' });
    rows.push({ metric: 'same handler called directly', value: `${http.directUs.toFixed(3)} µs`, note: `host/direct = ${((http.p50 * 1000) / http.directUs).toFixed(0)}×` });
    const lc = parts.has('lifecycles') ? await benchLifecycles(baseUrl, child.pid) : { perSecond: NaN, seconds: NaN, hostCpuMs: NaN, clientCpuMs: NaN };
    rows.push({ metric: 'lifecycles/s', value: lc.perSecond.toFixed(0), note: `${lifecycles} × (start → 5 activities → event → complete), ${inFlight} in flight, ${lc.seconds.toFixed(2)} s; target ≥ 200` });
    rows.push({ metric: 'bench client CPU per lifecycle', value: `${lc.clientCpuMs.toFixed(2)} ms`, note: 'the load generator shares the 2 cores' });
    rows.push({ metric: 'host CPU per lifecycle', value: `${lc.hostCpuMs.toFixed(2)} ms`, note: `≈ ${(1000 / lc.hostCpuMs).toFixed(0)} lifecycles/s per free core (load average now ${loadavg()[0]?.toFixed(1)})` });
    const fan = parts.has('fanout') ? await benchFanOut(baseUrl) : NaN;
    rows.push({ metric: '100-way fan-out/fan-in', value: `${fan.toFixed(0)} ms`, note: 'start → Completed, median of 5' });
    const direct = await directLifecycleMs();
    rows.push({ metric: 'lifecycle, handlers called directly', value: `${direct.toFixed(3)} ms`, note: 'CPU: the orchestrator handler for each replay episode + 5 activity handlers, no host' });
    rows.push({ metric: 'host overhead ratio (lifecycle)', value: `${(lc.hostCpuMs / direct).toFixed(1)}×`, note: 'host CPU per lifecycle / direct handler time' });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const w = [Math.max(...rows.map((r) => r.metric.length)), Math.max(...rows.map((r) => r.value.length))];
  process.stdout.write(`\nlocal-host bench (${new Date().toISOString()}, node ${process.version})\n`);
  for (const r of rows) process.stdout.write(`${r.metric.padEnd(w[0] ?? 0)}  ${r.value.padStart(w[1] ?? 0)}  ${r.note}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
