import { existsSync } from 'node:fs';
import { spawnManaged, waitForReady } from '../process/managed-child.js';
import { distEntry, REPO_ROOT } from '../repo-paths.js';
import { waitForHealthy } from './health-probe.js';
import type { PartOptions, RunningPart } from './running-part.js';

/** Thrown when a part's compiled entry does not exist (its engineer has not delivered it yet, or no build). */
export class PartUnavailableError extends Error {
  constructor(
    readonly part: string,
    readonly entry: string,
  ) {
    super(`${part}: ${entry} does not exist (not built yet, or the part is not written yet); run npm run build`);
    this.name = 'PartUnavailableError';
  }
}

export interface NodeServiceSpec {
  readonly name: string;
  /** The name the process prints in its `READY <name> <url>` line (default: `name`). */
  readonly readyName?: string;
  /** Compiled entry relative to `dist/`, e.g. `simulator/src/main.js`. */
  readonly entry: string;
  readonly args?: readonly string[];
  /** Flags for node itself, before the entry (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  readonly nodeArgs?: readonly string[];
  /** Environment specific to the part (merged over `options.env`). */
  readonly env: Readonly<Record<string, string>>;
  /** Path (after the READY URL) that must answer 200. */
  readonly healthPath: string;
  /** Environment handed to clients of the part, derived from its URL. */
  readonly clientEnv: (url: string) => Record<string, string>;
}

/** Whether a part's compiled entry exists. */
export function hasEntry(entry: string): boolean {
  return existsSync(distEntry(entry));
}

/** Starts `node dist/<entry>`, waits for `READY <name> <url>`, then for `GET <url><healthPath>` → 200. */
export async function startNodeService(spec: NodeServiceSpec, options: PartOptions): Promise<RunningPart> {
  const entry = distEntry(spec.entry);
  if (!existsSync(entry)) throw new PartUnavailableError(spec.name, `dist/${spec.entry}`);
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const child = spawnManaged({
    name: spec.name,
    command: process.execPath,
    args: [...(spec.nodeArgs ?? []), entry, ...(spec.args ?? [])],
    cwd: REPO_ROOT,
    env: {
      ...options.env,
      ...spec.env,
      ...(options.caFile ? { NODE_EXTRA_CA_CERTS: options.caFile } : {}),
    },
    log: options.log,
  });
  try {
    const url = await waitForReady(child, spec.readyName ?? spec.name, timeoutMs);
    await waitForHealthy(`${url}${spec.healthPath}`, { caFile: options.caFile, timeoutMs, expected: 200 });
    return {
      name: spec.name,
      url,
      env: spec.clientEnv(url),
      pid: child.pid,
      stop: async () => {
        await child.stop();
      },
      kill: async () => {
        await child.kill();
      },
    };
  } catch (err) {
    await child.kill();
    throw err;
  }
}
