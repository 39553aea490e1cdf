/**
 * `npm run bench:answer`: webhook-in → Graph `answer` received, p50/p99 at 50 incoming calls/s, for the recorder app
 * (running in the local host: JWT check, zod, policy, worker reserve, Graph answer through the Graph SDK, then the
 * orchestration start) and, in the same run, for a bare baseline (a plain Node server that only verifies the JWT and
 * posts the answer). Targets: app p99 ≤ 25 ms and ≤ 4× the baseline's p99.
 *
 * Parts: the simulator (token endpoint only), an in-process JWKS + notification signer, an in-process answer receiver
 * playing Graph (HTTPS), an in-process fake media-worker control API, the local host with the app, the baseline child.
 * Env: BENCH_RATE (calls/s, default 50), BENCH_SECONDS (default 15), BENCH_LOGS=1 shows child output, BENCH_DUMP=<file>
 * writes every call's latency, BENCH_HOST_NODE_ARGS (node flags for the host process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { NODE_WORKER_ARGUMENTS } from '../stack/src/app-settings.js';
import { ensureCertificate, writeTrustFile } from '../stack/src/parts/certs.js';
import { startLocalHost } from '../stack/src/parts/local-host.js';
import { startNodeService } from '../stack/src/parts/node-service.js';
import type { RunningPart } from '../stack/src/parts/running-part.js';
import { startSimulator } from '../stack/src/parts/simulator.js';
import { REPO_ROOT } from '../stack/src/repo-paths.js';

const ISSUER = 'https://api.botframework.com';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline child: verify the JWT, post the answer, reply 202. Nothing else.
async function runBaselineServer(): Promise<void> {
  const env = process.env;
  const need = (k: string): string => {
    const v = env[k];
    if (!v) throw new Error(`baseline: ${k} missing`);
    return v;
  };
  const openid = (await (await fetch(need('BASELINE_OPENID_URL'))).json()) as { jwks_uri: string };
  const keys = createRemoteJWKSet(new URL(openid.jwks_uri));
  const tokenRes = await fetch(need('BASELINE_TOKEN_URL'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: need('BOT_APP_ID'), client_secret: need('BOT_APP_SECRET'), scope: 'https://graph.microsoft.com/.default' }),
  });
  const graphToken = ((await tokenRes.json()) as { access_token: string }).access_token;
  const graph = need('BASELINE_GRAPH_URL');
  const audience = need('BOT_APP_ID');
  const server = createHttpServer((req, res) => {
    void (async () => {
      if (req.method === 'GET') {
        res.writeHead(200).end('ok');
        return;
      }
      try {
        const auth = req.headers.authorization ?? '';
        await jwtVerify(auth.replace(/^Bearer /, ''), keys, { algorithms: ['RS256'], issuer: ISSUER, audience });
        const body = JSON.parse(await readBody(req)) as { value: { resourceUrl: string }[] };
        const callId = body.value[0]?.resourceUrl.split('/').pop() ?? '';
        const r = await fetch(`${graph}/communications/calls/${callId}/answer`, {
          method: 'POST',
          headers: { authorization: `Bearer ${graphToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ callbackUri: `http://127.0.0.1/cb/${callId}`, acceptedModalities: ['audio'], mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: 'x' } }),
        });
        await r.arrayBuffer();
        res.writeHead(202).end();
      } catch {
        res.writeHead(401).end();
      }
    })();
  });
  const port = await listen(server);
  console.log(`READY baseline http://127.0.0.1:${port}`);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------------------------
interface Phase {
  name: string;
  latenciesMs: number[];
  /** App only: webhook-in → the worker reserve's arrival, and that arrival → the answer's arrival. */
  toReserveMs: number[];
  reserveToAnswerMs: number[];
  /** CPU the target's process used during the phase (and its settling afterwards), per call. */
  cpuMsPerCall: number;
  httpStatus: Map<number, number>;
  missing: number;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the whole line)
    return (ticks * 1000) / 100; // USER_HZ = 100 on Linux
  } catch {
    return Number.NaN;
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function runBench(): Promise<void> {
  const rate = Number(process.env.BENCH_RATE ?? '50');
  const seconds = Number(process.env.BENCH_SECONDS ?? '15');
  const log = process.env.BENCH_LOGS === '1';
  const tmp = await mkdtemp(join(tmpdir(), 'bench-answer-'));
  const parts: RunningPart[] = [];
  const servers: Server[] = [];
  try {
    const certs = await ensureCertificate({ dir: join(tmp, 'certs') });
    const caFile = await writeTrustFile(certs.certFile, join(tmp, 'certs', 'trust.pem'), process.env.NODE_EXTRA_CA_CERTS);
    const tenantId = randomUUID();
    const botAppId = randomUUID();
    const botAppSecret = randomBytes(18).toString('base64url');
    const workerKey = randomBytes(18).toString('base64url');

    // Notification signing keys (playing Graph's callback token issuer).
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
    const jwksServer = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/keys') res.end(JSON.stringify({ keys: [jwk] }));
      else res.end(JSON.stringify({ issuer: ISSUER, jwks_uri: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/keys` }));
    });
    servers.push(jwksServer);
    const jwksPort = await listen(jwksServer);
    const openIdUrl = `http://127.0.0.1:${jwksPort}/openid`;

    // Answer receiver (Graph): records when each call's answer arrives.
    const answeredAt = new Map<string, number>();
    const waiters = new Map<string, (t: number) => void>();
    const tls = { cert: await readFile(certs.certFile), key: await readFile(certs.keyFile) };
    const graphServer = createHttpsServer(tls, (req, res: ServerResponse) => {
      const t = performance.now();
      const m = /\/communications\/calls\/([^/]+)\/answer$/.exec(req.url ?? '');
      if (m?.[1]) {
        answeredAt.set(m[1], t);
        waiters.get(m[1])?.(t);
      }
      req.resume();
      req.on('end', () => {
        if (req.method === 'GET') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: 'established' }));
        else res.writeHead(m ? 202 : 200, { 'content-type': 'application/json' }).end(m ? undefined : '{}');
      });
    });
    servers.push(graphServer);
    const graphUrl = `https://127.0.0.1:${await listen(graphServer)}/v1.0`;

    // Fake media-worker control API: reserve returns a media config at once. When each call's reserve arrives splits
    // the app's latency in two: webhook-in → reserve (ingress, JWT, body, policy) and reserve → answer (Graph SDK).
    const reservedAt = new Map<string, number>();
    const workerServer = createHttpServer((req, res) => {
      const t = performance.now();
      const body: Buffer[] = [];
      req.on('data', (c: Buffer) => body.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.method === 'POST' && req.url === '/sessions') {
          const callId = /"callId":"([^"]+)"/.exec(Buffer.concat(body).toString('utf8'))?.[1];
          if (callId) reservedAt.set(callId, t);
          res.writeHead(201).end(JSON.stringify({ sessionId: randomUUID(), workerId: 'bench-worker', mediaConfig: { blob: Buffer.from('{"v":1}').toString('base64') } }));
        } else if (req.url === '/load') {
          res.end(JSON.stringify({ workerId: 'bench-worker', calls: 0, streams: 0, bufferedBytes: 0, spilledChunks: 0, bridgeConnections: 0 }));
        } else res.end('{}');
      });
    });
    servers.push(workerServer);
    const workerUrl = `http://127.0.0.1:${await listen(workerServer)}`;

    const sim = await startSimulator({
      log, caFile,
      settings: { port: 0, certFile: certs.certFile, keyFile: certs.keyFile, botAppId, botAppSecret, tenantId, groundTruthDir: join(tmp, 'gt') },
    });
    parts.push(sim);

    const baseline = await startNodeService(
      {
        name: 'baseline', entry: 'bench/answer.js', args: ['--baseline-server'], healthPath: '/health', clientEnv: () => ({}),
        env: {
          BASELINE_OPENID_URL: openIdUrl, BASELINE_TOKEN_URL: `${sim.url}/${tenantId}/oauth2/v2.0/token`, BASELINE_GRAPH_URL: graphUrl,
          BOT_APP_ID: botAppId, BOT_APP_SECRET: botAppSecret,
        },
      },
      { log, caFile },
    );
    parts.push(baseline);

    const hostPortServer = createHttpServer();
    const hostPort = await listen(hostPortServer);
    await new Promise<void>((r) => hostPortServer.close(() => r()));
    const hostNodeArgs = (process.env.BENCH_HOST_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const host = await startLocalHost({
      log, caFile, nodeArgs: hostNodeArgs, appDir: REPO_ROOT, port: hostPort, dataDir: join(tmp, 'host'),
      settings: {
        BOT_APP_ID: botAppId, BOT_APP_SECRET: botAppSecret, GRAPH_BASE_URL: graphUrl, GRAPH_AUTHORITY_HOST: sim.url,
        GRAPH_NOTIFICATION_OPENID_URL: openIdUrl, ALLOWED_TENANT_IDS: tenantId, CALLBACK_BASE_URL: `http://127.0.0.1:${hostPort}/api`,
        BLOB_CONNECTION_STRING: 'UseDevelopmentStorage=true', COSMOS_ENDPOINT: 'https://127.0.0.1:9', COSMOS_KEY: 'bench',
        MEDIA_WORKER_URLS: `bench-worker=${workerUrl}`, WORKER_SHARED_KEY: workerKey,
        languageWorkers__node__arguments: NODE_WORKER_ARGUMENTS,
        RECORDER_ESTABLISH_TIMEOUT_MS: '3600000', RECORDER_WATCHDOG_INTERVAL_MS: '3600000', LOCAL_HOST_LOG_LEVEL: log ? 'info' : 'warn',
      },
    });
    parts.push(host);

    const token = await new SignJWT({ tid: tenantId })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench-1', typ: 'JWT', cty: 'JWT' })
      .setIssuer(ISSUER).setAudience(botAppId).setIssuedAt().setExpirationTime('30m')
      .sign(privateKey as CryptoKey);

    const notification = (callId: string): string => JSON.stringify({
      '@odata.type': '#microsoft.graph.commsNotifications',
      value: [{
        '@odata.type': '#microsoft.graph.commsNotification', changeType: 'created',
        resourceUrl: `/communications/calls/${callId}`,
        resourceData: {
          '@odata.type': '#microsoft.graph.call', id: callId, state: 'incoming', direction: 'incoming', callChainId: randomUUID(), tenantId,
          myParticipantId: randomUUID(),
          source: { id: 'p-1', identity: { user: { id: randomUUID(), tenantId } } },
          incomingContext: { sourceParticipantId: 'p-1', observedParticipantId: 'p-1' },
          applicationMetadata: { botData: { inviteReasons: ['ComplianceRecording'], otherSideUser: { id: '4:+4930123456', tenantId: '00000000-0000-0000-0000-000000000000' } } },
        },
      }],
    });

    // BENCH_DUMP=<file>: one line per answered call (phase, send time ms into the phase, latency, webhook-in → reserve).
    const dump: string[] | undefined = process.env.BENCH_DUMP ? [] : undefined;
    async function phase(name: string, url: string, calls: number, perSecond: number, pid?: number): Promise<Phase> {
      const out: Phase = { name, latenciesMs: [], toReserveMs: [], reserveToAnswerMs: [], cpuMsPerCall: Number.NaN, httpStatus: new Map(), missing: 0 };
      const cpu0 = cpuMsOf(pid);
      const intervalMs = 1000 / perSecond;
      const start = performance.now();
      const pending: Promise<void>[] = [];
      for (let i = 0; i < calls; i += 1) {
        const due = start + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const callId = randomUUID();
        const body = notification(callId);
        const answered = new Promise<number>((resolve) => waiters.set(callId, resolve));
        const t0 = performance.now();
        pending.push((async () => {
          const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body }).catch(() => null);
          const status = res?.status ?? 0;
          await res?.arrayBuffer().catch(() => undefined);
          out.httpStatus.set(status, (out.httpStatus.get(status) ?? 0) + 1);
          const t1 = await Promise.race([answered, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
          waiters.delete(callId);
          if (t1 === null) out.missing += 1;
          else {
            out.latenciesMs.push(t1 - t0);
            if (dump) dump.push(`${name} ${(t0 - start).toFixed(1)} ${(t1 - t0).toFixed(2)} ${((reservedAt.get(callId) ?? NaN) - t0).toFixed(2)}`);
            const tr = reservedAt.get(callId);
            if (tr !== undefined) {
              out.toReserveMs.push(tr - t0);
              out.reserveToAnswerMs.push(t1 - tr);
              reservedAt.delete(callId);
            }
          }
        })());
      }
      await Promise.all(pending);
      await new Promise((r) => setTimeout(r, 1000)); // the work a call leaves behind (orchestration start) settles
      out.cpuMsPerCall = (cpuMsOf(pid) - cpu0) / calls;
      return out;
    }

    const total = Math.round(rate * seconds);
    const writeDump = async (): Promise<void> => {
      if (dump && process.env.BENCH_DUMP) await writeFile(process.env.BENCH_DUMP, dump.join('\n') + '\n');
    };
    const appUrl = `${host.url}/api/calling/notifications`;
    const baseUrl = `${baseline.url}/`;
    // Warm both (JIT, keep-alive sockets, token and JWKS caches), then measure.
    await phase('warm-baseline', baseUrl, 50, 25);
    await phase('warm-app', appUrl, 50, 25);
    const results = [await phase('baseline', baseUrl, total, rate, baseline.pid), await phase('app', appUrl, total, rate, host.pid)];
    await writeDump();

    const summary = results.map((r) => {
      const s = [...r.latenciesMs].sort((a, b) => a - b);
      return {
        name: r.name, calls: total, answered: s.length, missing: r.missing,
        http: Object.fromEntries(r.httpStatus),
        p50Ms: +pct(s, 50).toFixed(2), p95Ms: +pct(s, 95).toFixed(2), p99Ms: +pct(s, 99).toFixed(2), maxMs: +(s[s.length - 1] ?? NaN).toFixed(2),
        cpuMsPerCall: +r.cpuMsPerCall.toFixed(2),
      };
    });
    const [b, a] = summary;
    console.log(`\nbench:answer  ${rate} incoming calls/s for ${seconds} s (${total} calls per target), webhook-in → Graph answer received\n`);
    console.log('target     answered  missing   p50 ms   p95 ms   p99 ms   max ms  cpu ms/call  http');
    for (const r of summary) {
      console.log(`${r.name.padEnd(10)} ${String(r.answered).padStart(8)} ${String(r.missing).padStart(8)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p95Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)} ${r.maxMs.toFixed(2).padStart(8)} ${r.cpuMsPerCall.toFixed(2).padStart(12)}  ${JSON.stringify(r.http)}`);
    }
    const app = results[1];
    if (app && app.toReserveMs.length > 0) {
      const q = (xs: number[]): string => {
        const s = [...xs].sort((x, y) => x - y);
        return `p50 ${pct(s, 50).toFixed(2)} / p99 ${pct(s, 99).toFixed(2)} ms`;
      };
      console.log(`\napp split: webhook-in → worker reserve ${q(app.toReserveMs)}; reserve → Graph answer ${q(app.reserveToAnswerMs)}`);
    }
    if (a && b) {
      const ratio = a.p99Ms / b.p99Ms;
      console.log(`\napp p99 / baseline p99 = ${ratio.toFixed(2)}×   targets: p99 ≤ 25 ms ${a.p99Ms <= 25 ? 'MET' : 'MISSED'}, ≤ 4× baseline ${ratio <= 4 ? 'MET' : 'MISSED'}; Graph limit 5000 ms ${a.maxMs < 5000 && a.missing === 0 ? 'MET' : 'MISSED'}`);
      console.log(JSON.stringify({ bench: 'answer', rate, seconds, results: summary, ratioP99: +ratio.toFixed(2) }));
    }
  } finally {
    for (const p of [...parts].reverse()) await p.stop().catch(() => undefined);
    for (const s of servers) s.close();
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

if (process.argv.includes('--baseline-server')) {
  runBaselineServer().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  runBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
