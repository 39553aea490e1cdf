// `npm start`: the whole product on local parts. Flags: --no-calls, --fresh, --quiet (hide child output),
// --root DIR (where .stack/ and .data/ go; default the repo root), --workers N (media-workers in the pool, default 2).
// Ctrl-C stops every child (SIGTERM, then SIGKILL after a grace period); data in .data/ is kept for the next start.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stopAllLive } from './process/managed-child.js';
import { runDefaultScenarios } from './scenarios.js';
import { startStack, type RunningStack } from './stack.js';
import { formatTable, urlRows } from './url-table.js';

const usage = 'usage: npm start -- [--no-calls] [--fresh] [--quiet] [--root DIR] [--workers N]';

function parseFlags(): { calls: boolean; fresh: boolean; quiet: boolean; root: string | undefined; workers: number } {
  try {
    const { values } = parseArgs({
      options: {
        'no-calls': { type: 'boolean', default: false },
        fresh: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        root: { type: 'string' },
        workers: { type: 'string', default: '2' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const workers = Number(values.workers);
    if (!/^\d+$/.test(values.workers) || workers < 1 || workers > 8) throw new Error(`--workers must be a whole number from 1 to 8 (got ${values.workers})`);
    return { calls: !values['no-calls'], fresh: values.fresh, quiet: values.quiet, root: values.root ? resolve(values.root) : undefined, workers };
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
    process.exit(2);
  }
}

const say = (m: string): void => {
  process.stdout.write(`[stack] ${m}\n`);
};

async function main(): Promise<void> {
  const flags = parseFlags();
  const startedAt = Date.now();
  const running: { stack?: RunningStack } = {};
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      say(`${signal} again: killing everything now`);
      process.exit(130); // the exit hook SIGKILLs any child still alive
    }
    say(`${signal}: stopping (again to force)`);
    const stopping = running.stack ? running.stack.stop() : stopAllLive();
    void stopping.then(() => {
      say('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const stack = await startStack({ root: flags.root, fresh: flags.fresh, workers: flags.workers, say, log: flags.quiet ? false : undefined });
  running.stack = stack;
  if (signals > 0) return; // Ctrl-C arrived while starting; the handler is stopping it
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(`\nLocal stack running (started in ${seconds} s). Ctrl-C stops it; data stays in .data/.\n`);
  process.stdout.write(`${formatTable(urlRows(stack))}\n\n`);
  process.stdout.write(`READY stack ${stack.urls.host ?? stack.urls.azurite}\n`);
  if (flags.calls) {
    await runDefaultScenarios(stack).catch((err: unknown) => {
      say(`simulated calls failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}

main().catch(async (err: unknown) => {
  process.stderr.write(`[stack] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAllLive();
  process.exit(1);
});
