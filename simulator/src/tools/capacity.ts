// Capacity measurement: how many concurrent calls with real-time audio one simulator process sustains.
// Starts the simulator (dist/simulator/src/main.js) as a child, a sink (recorder + bridge) in this process, then for
// each step N: N calls with real-time mixed audio, a warm-up, a measuring window, and the received frame rate vs N×50/s.
//   node dist/simulator/src/tools/capacity.js [--steps 25,50,100,200] [--window 10]
// Needs NODE_EXTRA_CA_CERTS? No: it makes its own certificate and passes it to the child and to its fetch via env.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { createSelfSigned } from '../tls.js';
import { SimClient } from '../cli/sim-client.js';
import { startSink } from './sink.js';

const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';
const APP = 'e5f6a7b8-0000-4000-8000-0000000000b0';
const SECRET = 'capacity-secret';

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { steps: { type: 'string', default: '25,50,100,150,200' }, window: { type: 'string', default: '10' }, warmup: { type: 'string', default: '5' } } });
  if (!process.env.CAPACITY_CERT_DIR) {
    // fetch (undici) reads trust at start: re-exec with our certificate trusted.
    const tls = await createSelfSigned();
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.certFile, CAPACITY_CERT_DIR: tls.certFile.replace(/\/cert\.pem$/, '') },
    });
    child.on('exit', (code) => process.exit(code ?? 1));
    return;
  }
  const certDir = process.env.CAPACITY_CERT_DIR ?? '';
  const certFile = `${certDir}/cert.pem`;
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  const sim = spawn(process.execPath, [main], {
    env: { ...process.env, SIM_PORT: '0', TLS_CERT_FILE: certFile, TLS_KEY_FILE: `${certDir}/key.pem`, BOT_APP_ID: APP, BOT_APP_SECRET: SECRET, SIM_TENANT_ID: TENANT, SIM_LOG: 'off' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    sim.stdout.on('data', (d: Buffer) => {
      const m = /READY simulator (\S+)/.exec(d.toString());
      if (m?.[1]) resolve(m[1]);
    });
    sim.on('exit', () => reject(new Error('simulator exited')));
  });
  const client = new SimClient({ baseUrl: url, caFile: certFile, timeoutMs: 120_000 });
  const sink = await startSink({ baseUrl: url, caFile: certFile, tenantId: TENANT, appId: APP, secret: SECRET });
  const windowS = Number(values.window);
  console.log(`simulator ${url} (pid ${sim.pid ?? '?'}); window ${windowS}s per step; ${new Date().toISOString()}`);
  console.log('calls | expected fps | received fps | ratio | sim cpu % | cpu %/call | max pacing lag ms | loop p99 ms | rss MB');
  try {
    for (const n of (values.steps ?? '').split(',').map(Number)) {
      const ids: string[] = [];
      const overrides = { notificationUrl: sink.notificationUrl, durationMs: 3_600_000, media: { enabled: true, mode: 'mixed', pacing: 'realtime', script: [] } };
      // Ramp: 10 starts in flight at a time.
      for (let i = 0; i < n; i += 10) {
        const batch = await Promise.all(Array.from({ length: Math.min(10, n - i) }, () => client.startCall('pstn-inbound', overrides)));
        ids.push(...batch.map((c) => c.id));
      }
      await new Promise((r) => setTimeout(r, Number(values.warmup) * 1000));
      await client.call('GET', '/_sim/stats');
      const f0 = sink.framesReceived();
      const c0 = cpuSeconds(sim.pid ?? 0);
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, windowS * 1000));
      const secs = (Date.now() - t0) / 1000;
      const fps = (sink.framesReceived() - f0) / secs;
      const cpu = ((cpuSeconds(sim.pid ?? 0) - c0) / secs) * 100;
      const st = await client.call<{ media: { maxLagMs: number }; eventLoopDelayMs: { p99: number }; memoryRssMb: number }>('GET', '/_sim/stats');
      console.log(`${String(n).padStart(5)} | ${String(n * 50).padStart(12)} | ${fps.toFixed(0).padStart(12)} | ${(fps / (n * 50)).toFixed(3)} | ${cpu.toFixed(0).padStart(9)} | ${(cpu / n).toFixed(3).padStart(10)} | ${String(Math.round(st.media.maxLagMs)).padStart(17)} | ${st.eventLoopDelayMs.p99.toFixed(1).padStart(11)} | ${st.memoryRssMb}`);
      for (let i = 0; i < ids.length; i += 20) await Promise.all(ids.slice(i, i + 20).map((id) => client.call('POST', `/_sim/calls/${id}/end`)));
      await new Promise((r) => setTimeout(r, 3000));
    }
  } finally {
    client.close();
    await sink.close();
    sim.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
