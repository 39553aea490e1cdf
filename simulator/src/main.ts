// Entry point: `node dist/simulator/src/main.js` (env per ARCHITECTURE.md). Prints `READY simulator <url>`.
import { loadConfig } from './config.js';
import { startSimulator } from './server.js';
import { createLogger } from './log.js';
import { bridgeMedia } from './media/bridge-media.js';

const log = createLogger();
const config = loadConfig();
const sim = await startSimulator(config, { log, media: (l) => bridgeMedia(l, { bridge: { transport: config.bridgeTransport } }) });
process.stdout.write(`READY simulator ${sim.url}\n`);
log.info('ready', { notificationOpenIdUrl: sim.notificationOpenIdUrl, certFile: sim.certFile, groundTruthDir: config.groundTruthDir });

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.info('stopping', { signal });
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  sim.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
