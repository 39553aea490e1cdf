// media-worker entry point: env config, start, READY line, clean exit on SIGTERM/SIGINT.
import { loadConfig } from './config.js';
import { startWorker } from './worker.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const worker = await startWorker(config);
  process.stdout.write(`READY media-worker ${worker.controlUrl}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void worker.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(JSON.stringify({ level: 'error', msg: 'media-worker failed to start', error: String(err) }) + '\n');
  process.exit(1);
});
