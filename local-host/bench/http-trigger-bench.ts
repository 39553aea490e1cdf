/**
 * Throughput and latency of HTTP triggers through the local host (CLI child process, fixture app, no Durable).
 * `node dist/local-host/bench/http-trigger-bench.js [--requests N] [--concurrency C]`. Client and host share the
 * machine, so the figures are a floor for the host, not a measure of the app.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Result {
  name: string;
  requests: number;
  concurrency: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function run(name: string, url: string, requests: number, concurrency: number, init?: RequestInit): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) {
        const t = performance.now();
        const res = await fetch(url, init);
        await res.arrayBuffer();
        if (res.status >= 400) throw new Error(`${name}: HTTP ${res.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1));
  return { name, requests, concurrency, perSecond: Math.round(requests / seconds), p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '16' } } });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'local-host-bench-'));
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'dist/local-host/src/cli.js'), 'start', '--app', path.join(repoRoot, 'test/fixtures/http-app'), '--port', '0', '--data', dataDir, '--no-durable', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    let out = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /READY local-host (\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`host exited with ${code}`)));
    });
    await run('warm-up', `${base}/api/hello?name=x`, 300, concurrency);
    const results = [
      await run('GET text', `${base}/api/hello?name=x`, requests, concurrency),
      await run('GET route param + JSON', `${base}/api/items/42`, requests, concurrency),
      await run('POST 64 KiB echo', `${base}/api/echo`, Math.ceil(requests / 2), concurrency, { method: 'POST', body: Buffer.alloc(64 * 1024, 1) }),
    ];
    for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
  } finally {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
