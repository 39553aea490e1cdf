/**
 * Runs the app's timer triggers on the host clock: one invocation at a time per timer, `runOnStartup`,
 * `isPastDue` when a persisted Next was missed while the host was down, and schedule status persisted.
 */
import type { FunctionInfo, InvocationRequest, InvocationResult } from '../runtime/extension.js';
import { resolveSettingReferences } from '../config/app-config.js';
import type { JsonLogger } from '../core/log.js';
import type { ScaledClock } from './clock.js';
import { nextOccurrence, parseSchedule, type TimerSchedule } from './ncrontab.js';
import { type ScheduleStatus, ScheduleStatusStore } from './schedule-status-store.js';

export interface TimerSchedulerDeps {
  clock: ScaledClock;
  dataDir: string;
  settings: Readonly<Record<string, string | undefined>>;
  log: JsonLogger;
  invoke(functionName: string, request: InvocationRequest): Promise<InvocationResult>;
}

export interface TimerProblem {
  functionName: string;
  message: string;
}

interface TimerState {
  fn: FunctionInfo;
  schedule: TimerSchedule;
  runOnStartup: boolean;
  useMonitor: boolean;
  status?: ScheduleStatus;
  handle?: NodeJS.Timeout;
  running?: Promise<void>;
}

export function isTimerTrigger(fn: FunctionInfo): boolean {
  return fn.trigger.type.toLowerCase() === 'timertrigger';
}

/** The TimerInfo JSON the host sends (the library camel-cases it into Timer). */
export function timerInfo(status: ScheduleStatus | undefined, isPastDue: boolean): string {
  return JSON.stringify({ Schedule: { AdjustForDST: true }, ScheduleStatus: status ?? null, IsPastDue: isPastDue });
}

export class TimerScheduler {
  readonly #deps: TimerSchedulerDeps;
  readonly #store: ScheduleStatusStore;
  readonly #timers: TimerState[] = [];
  readonly problems: TimerProblem[] = [];
  #stopped = false;

  constructor(deps: TimerSchedulerDeps, functions: readonly FunctionInfo[]) {
    this.#deps = deps;
    this.#store = new ScheduleStatusStore(deps.dataDir);
    for (const fn of functions.filter(isTimerTrigger)) {
      try {
        const raw = typeof fn.trigger.schedule === 'string' ? fn.trigger.schedule : '';
        const schedule = parseSchedule(resolveSettingReferences(raw, deps.settings));
        this.#timers.push({ fn, schedule, runOnStartup: fn.trigger.runOnStartup === true, useMonitor: fn.trigger.useMonitor !== false });
      } catch (err) {
        this.problems.push({ functionName: fn.name, message: (err as Error).message });
      }
    }
  }

  /** The parsed schedule of each timer, for the function list. */
  describe(): { name: string; schedule: string; next?: string }[] {
    return this.#timers.map((t) => {
      const next = t.status?.Next ?? isoOrUndefined(nextOccurrence(t.schedule, this.#deps.clock.now()));
      return next ? { name: t.fn.name, schedule: t.schedule.expression, next } : { name: t.fn.name, schedule: t.schedule.expression };
    });
  }

  async start(): Promise<void> {
    for (const timer of this.#timers) {
      const now = this.#deps.clock.now();
      const stored = timer.useMonitor ? await this.#store.read(timer.fn.name) : undefined;
      const upcoming = nextOccurrence(timer.schedule, now);
      if (stored && Date.parse(stored.Next) <= now) {
        timer.status = stored;
        this.#deps.log.info('timer is past due', { functionName: timer.fn.name, missedNext: stored.Next });
        this.#fire(timer, Date.parse(stored.Next), true);
        continue;
      }
      if (stored && upcoming !== undefined && Date.parse(stored.Next) > upcoming) {
        stored.Next = new Date(upcoming).toISOString(); // the schedule changed to something sooner
      }
      // Without a stored status, "Last" starts as the host's start time.
      timer.status = stored ?? { Last: new Date(now).toISOString(), Next: new Date(upcoming ?? 8.64e15).toISOString(), LastUpdated: new Date(now).toISOString() };
      if (timer.runOnStartup) this.#fire(timer, now, false, true);
      else this.#arm(timer, upcoming === undefined ? undefined : Date.parse(timer.status.Next));
    }
  }

  /** Invokes a timer now (admin API); resolves when the invocation finished. */
  async runNow(functionName: string): Promise<void> {
    const timer = this.#timers.find((t) => t.fn.name.toLowerCase() === functionName.toLowerCase());
    if (!timer) throw new Error(`"${functionName}" is not a timer function.`);
    await this.#deps.invoke(timer.fn.name, { triggerData: { json: timerInfo(timer.status, false) } });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) if (timer.handle) clearTimeout(timer.handle);
    await Promise.all(this.#timers.map((t) => t.running ?? Promise.resolve()));
  }

  #arm(timer: TimerState, at: number | undefined): void {
    if (this.#stopped || at === undefined) return;
    const wait = this.#deps.clock.realDelayUntil(at);
    // setTimeout holds at most ~24.8 days: re-arm in steps.
    const step = Math.min(wait, 2 ** 31 - 1);
    timer.handle = setTimeout(() => {
      if (this.#deps.clock.now() < at) this.#arm(timer, at);
      else this.#fire(timer, at, false);
    }, step);
    timer.handle.unref();
  }

  /**
   * Runs one occurrence (never two at once for the same timer), then persists the status and arms the next.
   * During the invocation ScheduleStatus is {Last: previous occurrence, Next: this occurrence}, as in the host.
   * A runOnStartup run does not move the schedule.
   */
  #fire(timer: TimerState, occurrence: number, isPastDue: boolean, startup = false): void {
    if (this.#stopped) return;
    const run = async (): Promise<void> => {
      try {
        await this.#deps.invoke(timer.fn.name, { triggerData: { json: timerInfo(timer.status, isPastDue) } });
      } catch (err) {
        this.#deps.log.error('timer function failed', { functionName: timer.fn.name, error: err });
      }
      if (startup && timer.status) {
        this.#arm(timer, Date.parse(timer.status.Next));
        return;
      }
      const now = this.#deps.clock.now();
      const next = nextOccurrence(timer.schedule, Math.max(occurrence, now));
      timer.status = {
        Last: new Date(occurrence).toISOString(),
        Next: new Date(next ?? 8.64e15).toISOString(),
        LastUpdated: new Date(now).toISOString(),
      };
      if (timer.useMonitor) {
        await this.#store.write(timer.fn.name, timer.status).catch((err: unknown) =>
          this.#deps.log.error('cannot persist timer status', { functionName: timer.fn.name, error: err }),
        );
      }
      this.#arm(timer, next);
    };
    timer.running = run().finally(() => {
      timer.running = undefined;
    });
  }
}

function isoOrUndefined(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
