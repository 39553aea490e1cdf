import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolveSink, type LogSink } from './log-sink.js';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnManagedOptions {
  /** Short name used as the log prefix and in errors. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Added on top of the parent's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** `false` silences the output, a function receives each line; default: prefixed console. */
  readonly log?: boolean | LogSink;
}

export interface StopOptions {
  /** Time between SIGTERM and SIGKILL. */
  readonly graceMs?: number;
}

const KEPT_LINES = 400;
const DEFAULT_GRACE_MS = 5_000;

/** Every child still alive, killed synchronously if the parent exits without stopping them. */
const live = new Set<ManagedChild>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.signal('SIGKILL');
  });
}

type LineWaiter = { pattern: RegExp; resolve: (m: RegExpMatchArray) => void };

/**
 * A child process in its own process group with line-buffered, prefixed logs.
 * `stop()` sends SIGTERM to the group and SIGKILL after a grace period; both are idempotent.
 */
export class ManagedChild {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly waiters = new Set<LineWaiter>();
  private exitInfo: ExitInfo | undefined;

  constructor(options: SpawnManagedOptions) {
    this.name = options.name;
    const sink = resolveSink(options.log);
    this.child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.pid = this.child.pid;
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
      this.child.once('error', (err) => {
        this.remember(`spawn error: ${err.message}`);
        if (this.pid === undefined) {
          this.exitInfo = { code: null, signal: null };
          live.delete(this);
          resolve(this.exitInfo);
        }
      });
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = this.child[stream];
      if (!source) continue;
      createInterface({ input: source, crlfDelay: Infinity }).on('line', (line) => {
        this.remember(line);
        sink(this.name, stream, line);
      });
    }
    if (this.pid !== undefined) {
      live.add(this);
      installExitHook();
    }
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** The last lines the child printed (stdout and stderr interleaved), for error messages. */
  recentOutput(count = 30): string {
    return this.lines.slice(-count).join('\n');
  }

  /**
   * Resolves with the first line (already printed or future) matching `pattern`.
   * Rejects when the child exits first or `timeoutMs` passes.
   */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const match = line.match(pattern);
      if (match) return Promise.resolve(match);
    }
    return new Promise<RegExpMatchArray>((resolve, reject) => {
      const waiter: LineWaiter = {
        pattern,
        resolve: (m) => {
          cleanup();
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no line matching ${pattern} within ${timeoutMs} ms\n${this.recentOutput()}`));
      }, timeoutMs);
      const onExit = (info: ExitInfo): void => {
        cleanup();
        reject(
          new Error(
            `${this.name} exited (code ${info.code}, signal ${info.signal}) before printing ${pattern}\n${this.recentOutput()}`,
          ),
        );
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        this.child.off('exit', exitListener);
      };
      const exitListener = (code: number | null, signal: NodeJS.Signals | null): void => onExit({ code, signal });
      if (this.exitInfo) {
        onExit(this.exitInfo);
        return;
      }
      this.child.once('exit', exitListener);
      this.waiters.add(waiter);
    });
  }

  /** Sends `sig` to the child's whole process group (falls back to the child alone). */
  signal(sig: NodeJS.Signals): void {
    if (this.pid === undefined || this.exitInfo) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(options: StopOptions = {}): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.signal('SIGTERM');
    const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const first = await Promise.race([this.exited, forced]);
    clearTimeout(timer);
    if (first === 'timeout') {
      this.signal('SIGKILL');
      return this.exited;
    }
    // The leader is gone; make sure nothing it started survives in its group.
    this.signalGroupAfterExit('SIGKILL');
    return first;
  }

  /** SIGKILL to the group, for crash tests; resolves once the process has exited. */
  async kill(): Promise<ExitInfo> {
    this.signal('SIGKILL');
    return this.exited;
  }

  private signalGroupAfterExit(sig: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      // group already empty
    }
  }

  private remember(line: string): void {
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
    for (const waiter of [...this.waiters]) {
      const match = line.match(waiter.pattern);
      if (match) waiter.resolve(match);
    }
  }
}

/** Stops every managed child still alive (e.g. on Ctrl-C while the stack is still starting). */
export async function stopAllLive(options: StopOptions = {}): Promise<void> {
  await Promise.allSettled([...live].map((child) => child.stop(options)));
}

/** Starts a managed child. */
export function spawnManaged(options: SpawnManagedOptions): ManagedChild {
  return new ManagedChild(options);
}

/** Waits for `READY <name> <url>` and returns the URL. */
export async function waitForReady(child: ManagedChild, readyName: string, timeoutMs: number): Promise<string> {
  const escaped = readyName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = await child.waitForLine(new RegExp(`^READY ${escaped} (\\S+)`), timeoutMs);
  const url = match[1];
  if (!url) throw new Error(`${child.name}: READY line without a URL`);
  return url.replace(/\/$/, '');
}
