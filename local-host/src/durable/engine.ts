/**
 * The dispatcher: runs orchestrator episodes (one at a time per instance) and activities (in parallel up to
 * maxConcurrentActivityFunctions) from the durable store, and fires timers at or after their time on the host clock.
 * The store is the truth; the in-memory queues are rebuilt from it on start, so a killed host resumes where it was.
 */
import type { HostServices, RpcTypedData } from '../runtime/extension.js';
import {
  applyOutcome,
  type EpisodeResult,
  type EpisodeWork,
  iso,
  payloadJson,
  prepareEpisode,
  takeBatch,
} from './episode.js';
import { EventType, type HistoryEvent, isTerminal } from './history-types.js';
import { orchestratorStateSchema, type OrchestratorState } from './orchestrator-state.js';
import type { ActivityItem, DurableStore, InstanceRow, NewInboxMessage } from './store.js';
import { TimerHeap } from './timer-heap.js';
import { EntityDispatcher } from './entities.js';
import { FunctionLookup } from './function-lookup.js';

export interface EngineOptions {
  maxConcurrentActivities: number;
  maxConcurrentOrchestrators: number;
  /** Longest real-time sleep between timer checks (the host clock may be scaled). */
  timerPollMs: number;
  /**
   * Most episodes, and most activities, started in one turn of the event loop (default 4; 1 while app HTTP requests are
   * in progress). The rest wait for the next turn, so HTTP requests of the same app (a webhook that must answer fast)
   * are never queued behind a burst of replays.
   */
  startsPerTurn?: number;
}

const outOfProcLabel = '\n\n$OutOfProcData$:';

export class DurableEngine {
  readonly #store: DurableStore;
  readonly #host: HostServices;
  readonly #opts: EngineOptions;
  readonly #functions: FunctionLookup;
  readonly #ready = new Set<string>();
  readonly #running = new Set<string>();
  readonly #timers = new TimerHeap();
  readonly #activityQueue: ActivityItem[] = [];
  /** Per instance: the stored history and each event's JSON (the payload is built from the JSON). */
  readonly #history = new Map<string, { events: HistoryEvent[]; json: string[] }>();
  readonly #inFlight = new Set<Promise<void>>();
  #commits: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  #flushScheduled = false;
  #activeActivities = 0;
  #pumpScheduled = false;
  #timerHandle: NodeJS.Timeout | undefined;
  #timerDueMs = Infinity;
  #stopped = false;
  /** Called after every committed change to an instance (the dashboard's live view listens). */
  onChange: ((instanceId: string) => void) | undefined;

  readonly entities: EntityDispatcher;

  constructor(store: DurableStore, host: HostServices, opts: EngineOptions) {
    this.#store = store;
    this.#host = host;
    this.#opts = opts;
    this.#functions = new FunctionLookup(() => host.functions());
    this.entities = new EntityDispatcher({
      store,
      host,
      commit: (fn) => this.commit(fn),
      delivered: (m) => this.#track(m.instanceId, m.visibleMs, host.clock.now()),
      wake: () => this.#schedulePump(),
      parseResult: (d) => typedDataToJson(d as RpcTypedData | null | undefined),
    });
  }

  /** Rebuilds the in-memory queues from the store (after a restart, everything not committed is redone). */
  start(): void {
    for (const a of this.#store.allActivities()) this.#activityQueue.push(a);
    const now = this.#host.clock.now();
    for (const m of this.#store.allInbox()) this.#track(m.instanceId, m.visibleMs, now);
    this.entities.start();
    this.#schedulePump();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timerHandle) clearTimeout(this.#timerHandle);
    await Promise.allSettled([...this.#inFlight]);
  }

  get stats(): { ready: number; running: number; activitiesQueued: number; activitiesRunning: number; timers: number } {
    return {
      ready: this.#ready.size,
      running: this.#running.size,
      activitiesQueued: this.#activityQueue.length,
      activitiesRunning: this.#activeActivities,
      timers: this.#timers.size,
    };
  }

  /** Tells the engine that a message for `instanceId` became visible at `visibleMs` (call after the commit). */
  notify(instanceId: string, visibleMs?: number): void {
    this.#track(instanceId, visibleMs ?? 0, this.#host.clock.now());
    this.#schedulePump();
  }

  /** Forget cached history (terminate, purge, restart change it outside an episode). */
  invalidate(instanceId: string): void {
    this.#history.delete(instanceId);
  }

  enqueueActivities(items: readonly ActivityItem[]): void {
    this.#activityQueue.push(...items);
    this.#schedulePump();
  }

  #track(instanceId: string, visibleMs: number, nowMs: number): void {
    if (visibleMs <= nowMs) this.#ready.add(instanceId);
    else this.#timers.push({ dueMs: visibleMs, key: instanceId });
  }

  #schedulePump(deferMs = 0): void {
    if (this.#pumpScheduled || this.#stopped) return;
    this.#pumpScheduled = true;
    const run = (): void => {
      this.#pumpScheduled = false;
      this.#pump();
    };
    if (deferMs > 0) setTimeout(run, deferMs);
    else setImmediate(run);
  }

  #pump(): void {
    if (this.#stopped) return;
    const now = this.#host.clock.now();
    for (const due of this.#timers.popDue(now)) this.#ready.add(due.key);
    // While app HTTP requests are in progress, start one item per turn and let a timer, not an immediate, bring the next
    // turn: every pending I/O callback of those requests runs first (priority to the webhook's answer path).
    const yielding = this.#host.httpInFlight() > 0;
    const perTurn = yielding ? 1 : this.#opts.startsPerTurn ?? 4;
    let started = 0;
    let more = false;
    for (const id of this.#ready) {
      if (this.#running.size >= this.#opts.maxConcurrentOrchestrators) break;
      if (this.#running.has(id)) continue;
      if (started >= perTurn) {
        more = true;
        break;
      }
      started++;
      this.#ready.delete(id);
      this.#running.add(id);
      // Messages that arrive while the episode runs put the id back into #ready themselves (see notify/#track).
      this.#track2(
        this.#runEpisode(id)
          .then((more) => {
            if (more) this.#ready.add(id);
          })
          .catch((err: unknown) => {
            // The messages stay in the inbox; try again in a second (e.g. a transient store error).
            this.#host.log.error('durable episode failed', { instanceId: id, error: errorMessage(err) });
            this.#timers.push({ dueMs: this.#host.clock.now() + 1000, key: id });
          })
          .finally(() => {
            this.#running.delete(id);
            this.#schedulePump();
          }),
      );
    }
    let activities = 0;
    while (this.#activeActivities < this.#opts.maxConcurrentActivities && this.#activityQueue.length > 0) {
      if (activities++ >= perTurn) {
        more = true;
        break;
      }
      const item = this.#activityQueue.shift() as ActivityItem;
      this.#activeActivities++;
      this.#track2(
        this.#runActivity(item)
          .catch((err: unknown) => this.#host.log.error('durable activity failed', { instanceId: item.instanceId, error: errorMessage(err) }))
          .finally(() => {
            this.#activeActivities--;
            this.#schedulePump();
          }),
      );
    }
    for (const p of this.entities.pump(this.#opts.maxConcurrentOrchestrators)) this.#track2(p);
    this.#armTimer(now);
    if (more) this.#schedulePump(yielding ? 1 : 0);
  }

  #track2(p: Promise<void>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  #armTimer(now: number): void {
    const next = this.#timers.peek();
    if (!next) return;
    const delay = Math.max(1, Math.min(next.dueMs - now, this.#opts.timerPollMs));
    const due = Date.now() + delay;
    if (this.#timerHandle && due >= this.#timerDueMs) return;
    if (this.#timerHandle) clearTimeout(this.#timerHandle);
    this.#timerDueMs = due;
    this.#timerHandle = setTimeout(() => {
      this.#timerHandle = undefined;
      this.#timerDueMs = Infinity;
      this.#pump();
    }, delay);
    this.#timerHandle.unref();
  }

  /**
   * Group commit: the commits of every episode and activity that finished in this turn of the event loop go into one
   * SQLite transaction (each as a savepoint), which makes one WAL write instead of many. Callers continue only after
   * the outer commit, so nothing is acted on before it is durable.
   */
  commit<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#commits.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#commits;
    this.#commits = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.#store.transaction(() => {
        for (const c of batch) {
          try {
            outcomes.push({ ok: true, value: this.#store.transaction(c.fn) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const c of batch) c.reject(error);
      return;
    }
    batch.forEach((c, i) => {
      const o = outcomes[i];
      if (o?.ok) c.resolve(o.value);
      else c.reject(o ? o.error : new Error('commit lost'));
    });
  }

  #loadHistory(instanceId: string): { events: HistoryEvent[]; json: string[] } {
    let h = this.#history.get(instanceId);
    if (!h) {
      const events = this.#store.history(instanceId);
      h = { events, json: events.map((e) => JSON.stringify(e)) };
      this.#history.set(instanceId, h);
    }
    return h;
  }

  /** Runs one episode; resolves true when visible messages were left for a next episode (a cut batch). */
  async #runEpisode(instanceId: string): Promise<boolean> {
    const store = this.#store;
    const now = this.#host.clock.now();
    const instance = store.getInstance(instanceId);
    if (!instance) return false;
    if (instance.status === 'Suspended') return false;
    const messages = store.visibleInbox(instanceId, now);
    if (messages.length === 0) return false;
    if (isTerminal(instance.status)) {
      store.deleteInbox(messages.map((m) => m.id));
      return false;
    }
    const history = this.#loadHistory(instanceId);
    const prep = prepareEpisode(instance, history.events, takeBatch(messages), now);
    const more = prep.consumed.length < messages.length;
    if (prep.newEvents.length === 1) {
      store.deleteInbox(prep.consumed);
      return more;
    }
    const result = await this.#invokeOrchestrator(instance, payloadJson(prep, history.json));
    const outcome = applyOutcome(prep, result);
    const work: EpisodeWork = {
      events: [...prep.implicit.events, ...outcome.work.events],
      inbox: [...prep.implicit.inbox, ...outcome.work.inbox],
      activities: [...prep.implicit.activities, ...outcome.work.activities],
      children: [...prep.implicit.children, ...outcome.work.children],
      entityOps: [...prep.implicit.entityOps, ...outcome.work.entityOps],
    };
    const committed = await this.commit(() => {
      const current = store.getInstance(instanceId);
      if (!current || current.executionId !== instance.executionId || isTerminal(current.status)) {
        return undefined; // terminated, purged or restarted while the orchestrator ran: drop this episode
      }
      const row = outcome.instance;
      if (current.status === 'Suspended' && !isTerminal(row.status)) row.status = 'Suspended';
      store.deleteInbox(prep.consumed);
      if (outcome.restartHistory) {
        store.deleteHistory(instanceId);
      } else {
        store.appendHistory(instanceId, [...prep.newEvents, ...work.events]);
      }
      const activities: ActivityItem[] = work.activities.map((a) => ({ ...a, id: store.addActivity(a) }));
      const inbox: NewInboxMessage[] = [...work.inbox];
      for (const child of work.children) {
        const existing = store.getInstance(child.row.instanceId);
        if (existing && !isTerminal(existing.status)) {
          inbox.push(childRefused(child.row, existing, now));
          continue;
        }
        if (existing) {
          store.deleteHistory(existing.instanceId);
          store.dropPendingWork(existing.instanceId);
        }
        store.putInstance(child.row);
        inbox.push(child.start);
      }
      for (const m of inbox) store.addInbox(m);
      for (const e of work.entityOps) store.addEntityOp(e.entityId, e.op);
      store.putInstance(row);
      return { activities, inbox, row };
    });
    if (!committed) {
      this.#history.delete(instanceId);
      return false;
    }
    if (outcome.restartHistory || isTerminal(committed.row.status)) {
      this.#history.delete(instanceId);
    } else {
      for (const e of [...prep.newEvents, ...work.events]) {
        history.events.push(e);
        history.json.push(JSON.stringify(e));
      }
    }
    for (const child of work.children) this.#history.delete(child.row.instanceId);
    const nowAfter = this.#host.clock.now();
    for (const m of committed.inbox) this.#track(m.instanceId, m.visibleMs, nowAfter);
    this.#activityQueue.push(...committed.activities);
    for (const e of work.entityOps) this.entities.notify(e.entityId);
    this.onChange?.(instanceId);
    return more;
  }

  async #invokeOrchestrator(instance: InstanceRow, payloadText: string): Promise<EpisodeResult> {
    let returned: RpcTypedData | null | undefined;
    try {
      const res = await this.#host.invoke(instance.name, { triggerData: { json: payloadText } });
      returned = res.returnValue;
    } catch (err) {
      const message = errorMessage(err);
      const at = message.indexOf(outOfProcLabel);
      if (at < 0) return { kind: 'failed', message };
      let state: OrchestratorState | undefined;
      try {
        const parsed = orchestratorStateSchema.safeParse(JSON.parse(message.slice(at + outOfProcLabel.length)));
        if (parsed.success) state = parsed.data;
      } catch {
        state = undefined;
      }
      // The library throws OrchestrationFailureError(orchestratorReturned, state): the user's error is state.error.
      return { kind: 'failed', message: state?.error ?? message.slice(0, at), state };
    }
    const raw = typedDataToJson(returned);
    const parsed = orchestratorStateSchema.safeParse(raw === undefined ? undefined : JSON.parse(raw));
    if (!parsed.success) {
      return { kind: 'failed', message: `The orchestrator returned no valid orchestration state: ${parsed.error.message}` };
    }
    return { kind: 'state', state: parsed.data };
  }

  async #runActivity(item: ActivityItem): Promise<void> {
    // Terminated or purged meanwhile: the work item is gone, so the activity must not run (no side effects).
    if (!this.#store.getActivity(item.id)) return;
    const nowStart = this.#host.clock.now();
    let event: HistoryEvent;
    const fn = this.#functions.find(item.name, 'activityTrigger');
    if (!fn) {
      event = taskFailed(item, `The function '${item.name}' doesn't exist, is disabled, or is not an activity function.`, '', nowStart);
    } else {
      try {
        const res = await this.#host.invoke(fn.name, { triggerData: { json: item.input ?? 'null' } });
        event = {
          EventType: EventType.TaskCompleted,
          EventId: -1,
          Timestamp: '',
          TaskScheduledId: item.taskId,
          Result: typedDataToJson(res.returnValue) ?? 'null',
        };
      } catch (err) {
        const stack = err instanceof Error && err.stack ? err.stack : '';
        event = taskFailed(item, `Activity function '${item.name}' failed: ${errorMessage(err)}`, stack, nowStart);
      }
    }
    const now = this.#host.clock.now();
    const message: NewInboxMessage = {
      instanceId: item.instanceId,
      executionId: item.executionId,
      visibleMs: now,
      event: { ...event, Timestamp: iso(now) },
      chain: item.chain,
    };
    const delivered = await this.commit(() => {
      if (!this.#store.deleteActivity(item.id)) return false; // instance terminated or purged meanwhile
      this.#store.addInbox(message);
      return true;
    });
    if (delivered) this.notify(item.instanceId, now);
  }
}

function taskFailed(item: ActivityItem, reason: string, details: string, nowMs: number): HistoryEvent {
  return {
    EventType: EventType.TaskFailed,
    EventId: -1,
    Timestamp: iso(nowMs),
    TaskScheduledId: item.taskId,
    Reason: reason,
    Details: details,
  };
}

function childRefused(child: InstanceRow, existing: InstanceRow, nowMs: number): NewInboxMessage {
  const parent = child.parent;
  if (!parent) throw new Error('sub-orchestration without parent');
  return {
    instanceId: parent.instanceId,
    executionId: parent.executionId,
    visibleMs: nowMs,
    event: {
      EventType: EventType.SubOrchestrationInstanceFailed,
      EventId: -1,
      Timestamp: '',
      TaskScheduledId: parent.taskId,
      Reason: `An Orchestration instance with the status ${existing.status} already exists.`,
      Details: '',
    },
    chain: parent.chain === true,
  };
}

/** The JSON text of a worker TypedData value, as the real extension would serialize the returned object. */
export function typedDataToJson(d: RpcTypedData | null | undefined): string | undefined {
  if (!d) return undefined;
  if (d.json !== undefined && d.json !== null) return d.json;
  if (d.string !== undefined && d.string !== null) return JSON.stringify(d.string);
  if (d.int !== undefined && d.int !== null) return JSON.stringify(Number(d.int));
  if (d.double !== undefined && d.double !== null) return JSON.stringify(Number(d.double));
  if (d.bytes) return JSON.stringify(Buffer.from(d.bytes).toString('base64'));
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
