#!/usr/bin/env node
/**
 * `node dist/local-host/src/cli.js start --app <dir> [--port N] [--data DIR] [--settings FILE] [--clock-scale N]
 *  [--log-level debug|info|warn|error] [--no-durable]`
 * Runs an Azure Functions v4 Node app folder like `func start`. Prints `READY local-host <url>` when listening.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseLogLevel } from './core/log.js';
import { loadExtensions } from './extensions.js';
import { startHost } from './host.js';

const usage = `usage: local-host start --app <dir> [--port N] [--data DIR] [--settings FILE] [--clock-scale N]
                        [--log-level debug|info|warn|error] [--no-durable]`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      app: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      settings: { type: 'string' },
      'clock-scale': { type: 'string' },
      'log-level': { type: 'string' },
      'no-durable': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals[0] !== 'start' || positionals.length > 1) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const port = values.port === undefined ? undefined : parseIntStrict(values.port, '--port', 0, 65535);
  const clockScale = values['clock-scale'] === undefined ? undefined : Number(values['clock-scale']);
  if (clockScale !== undefined && (!Number.isFinite(clockScale) || clockScale <= 0)) throw new Error('--clock-scale must be a positive number');
  const logLevel = values['log-level'] === undefined ? undefined : parseLogLevel(values['log-level'], 'info');

  const host = await startHost({
    appDir: path.resolve(values.app ?? '.'),
    ...(port !== undefined ? { port } : {}),
    ...(values.data !== undefined ? { dataDir: path.resolve(values.data) } : {}),
    ...(values.settings !== undefined ? { settingsFile: path.resolve(values.settings) } : {}),
    ...(clockScale !== undefined ? { clockScale } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
    extensions: (log) => loadExtensions({ durable: !values['no-durable'] }, log),
  });

  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        process.stderr.write(`second ${signal}: exiting now\n`);
        resolve(1);
        return;
      }
      signalled = true;
      host.stop().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function parseIntStrict(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new Error(`${flag} must be an integer in ${min}-${max}, got "${text}"`);
  return Number(text);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`local-host failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
