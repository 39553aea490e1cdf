// Assembles the simulator: TLS server, key rings, login + APS + Graph + control routes, call engine, notifier.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SimConfig } from './config.js';
import { loadOrCreateTls } from './tls.js';
import { createLogger, type Logger } from './log.js';
import { createRequestListener } from './http/router.js';
import { KeyRing } from './auth/key-ring.js';
import { TokenSigner } from './auth/token-signer.js';
import { loginIssuer, loginRoutes } from './auth/login-routes.js';
import { apsRoutes, APS_OPENID_PATH } from './auth/aps-routes.js';
import { loadDevUsers } from './auth/dev-users.js';
import { graphRoutes } from './graph/graph-routes.js';
import { CallRecordStore } from './graph/call-records.js';
import { SubscriptionStore } from './graph/subscriptions.js';
import { controlRoutes } from './control/control-routes.js';
import { CallEngine } from './teams/call-engine.js';
import { SimClock } from './teams/clock.js';
import { noMedia, type MediaHooks } from './teams/media-hooks.js';
import { Notifier, DEFAULT_DELIVERY, type DeliveryOptions } from './notify/delivery.js';
import { callbackToken } from './notify/callback-tokens.js';
import type { Faults } from './notify/faults.js';
import { writeGroundTruthFile } from './media/ground-truth.js';

export interface Simulator {
  url: string;
  certFile: string;
  /** OpenID configuration whose JWKS signs notification tokens (GRAPH_NOTIFICATION_OPENID_URL). */
  notificationOpenIdUrl: string;
  engine: CallEngine;
  clock: SimClock;
  setFaults(f: Faults): void;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  media?: (log: Logger) => MediaHooks;
  delivery?: Partial<DeliveryOptions>;
  answerDeadlineMs?: number;
  log?: Logger;
  /** Retention of rotated-out keys in the JWKS (real ms). */
  keyRetainMs?: number;
}

export async function startSimulator(config: SimConfig, options: SimulatorOptions = {}): Promise<Simulator> {
  const log = options.log ?? createLogger();
  const tls = await loadOrCreateTls(config.tlsCertFile, config.tlsKeyFile);
  const retainMs = options.keyRetainMs ?? 24 * 3600_000;
  const loginRing = await KeyRing.create({ retainMs });
  const callbackRing = await KeyRing.create({ retainMs });
  const loginSigner = new TokenSigner(loginRing);
  const callbackSigner = new TokenSigner(callbackRing);
  let baseUrl = '';
  const base = (): string => baseUrl;
  let faults: Faults = {};
  const clock = new SimClock(config.clockScale);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const notifier = new Notifier((f) => callbackToken(callbackSigner, config.botAppId, config.tenantId, f), log, { ...DEFAULT_DELIVERY, ...options.delivery });
  const records = new CallRecordStore();
  const subscriptions = new SubscriptionStore(log, config.tenantId);
  const media = options.media ? options.media(log) : noMedia;
  const engine = new CallEngine({
    clock,
    notifier,
    media,
    log,
    tenantId: config.tenantId,
    recorderNotificationUrl: config.recorderNotificationUrl,
    globalFaults: () => faults,
    writeGroundTruth: (c, leg, m) => writeGroundTruthFile(config.groundTruthDir, c, leg, m),
    onConversationEnded: (c) => subscriptions.notifyCallRecord(records.add(c)),
    ...(options.answerDeadlineMs ? { answerDeadlineMs: options.answerDeadlineMs } : {}),
  });
  const routes = [
    ...controlRoutes({
      engine, clock, callbackRing, loginRing, getFaults: () => faults, setFaults: (f) => (faults = f),
      mediaStats: () => media.stats?.() ?? null,
      loopDelay: () => {
        const r = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
        loop.reset();
        return r;
      },
    }),
    ...apsRoutes(callbackRing, base),
    ...graphRoutes({ ring: loginRing, issuer: () => `${baseUrl}/${config.tenantId}/`, tenantId: config.tenantId, engine, records, subscriptions, baseUrl: base }),
    ...loginRoutes({ baseUrl: base, tenantId: config.tenantId, botAppId: config.botAppId, botAppSecret: config.botAppSecret, ring: loginRing, signer: loginSigner, users: loadDevUsers(process.env.SIM_USERS_JSON) }),
  ];
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, createRequestListener(routes, log));
  // Longer than clients' idle keep-alive sockets, so a reused socket is not reset under them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `https://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info('simulator listening', { url: baseUrl, certFile: tls.certFile, loginIssuer: loginIssuer(baseUrl, config.tenantId) });
  let closed = false;
  return {
    url: baseUrl,
    certFile: tls.certFile,
    notificationOpenIdUrl: `${baseUrl}${APS_OPENID_PATH}`,
    engine,
    clock,
    setFaults: (f) => (faults = f),
    close: async () => {
      if (closed) return;
      closed = true;
      await engine.shutdown();
      await Promise.race([notifier.drain(), new Promise((r) => setTimeout(r, 3000))]);
      notifier.close();
      clock.stop();
      loop.disable();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
