/**
 * Instance management (start, raise event, terminate, suspend, resume, restart, purge): the operations behind the
 * HTTP API and the dashboard. Each one is a single store transaction followed by a nudge to the engine.
 */
import { randomUUID } from 'node:crypto';
import type { DurableEngine } from './engine.js';
import { iso } from './episode.js';
import { newExecState } from './exec-state.js';
import { EventType, type RuntimeStatus, isTerminal } from './history-types.js';
import type { DurableStore, EntityOp, EntityRow, InstanceQuery, InstanceRow } from './store.js';

export class OperationError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Clockish {
  now(): number;
}

/** Generated ids are Guid.NewGuid().ToString("N"): 32 lower-case hex characters. */
export function newInstanceId(): string {
  return randomUUID().replace(/-/g, '');
}

/** Reason the id is refused (reference §1), or undefined when valid. */
export function invalidInstanceIdReason(id: string): string | undefined {
  if (id.length === 0) return 'Instance ID must not be empty.';
  if (id.length > 256) return 'Instance ID length must not exceed 256 characters.';
  if (id.startsWith('@')) return "Instance ID must not start with '@'.";
  // eslint-disable-next-line no-control-regex
  if (/[/\\?#\u0000-\u001f\u007f-\u009f]/.test(id)) return "Instance ID must not contain /, \\, ?, # or control characters.";
  return undefined;
}

/** Stores a reason text as JSON: valid JSON stays as it is, any other text becomes a JSON string. */
export function reasonJson(reason: string): string {
  try {
    JSON.parse(reason);
    return reason;
  } catch {
    return JSON.stringify(reason);
  }
}

export class DurableManagement {
  readonly #store: DurableStore;
  readonly #engine: DurableEngine;
  readonly #clock: Clockish;
  readonly #resolveOrchestrator: (name: string) => string | undefined;

  constructor(store: DurableStore, engine: DurableEngine, clock: Clockish, resolveOrchestrator: (name: string) => string | undefined) {
    this.#store = store;
    this.#engine = engine;
    this.#clock = clock;
    this.#resolveOrchestrator = resolveOrchestrator;
  }

  get(instanceId: string): InstanceRow | undefined {
    return this.#store.getInstance(instanceId);
  }

  query(q: InstanceQuery): InstanceRow[] {
    return this.#store.queryInstances(q);
  }

  history(instanceId: string) {
    return this.#store.history(instanceId);
  }

  /**
   * Starts (or, for a finished id, replaces) an instance. `inputJson` is JSON text or null. Resolves after the commit
   * (the engine's group commit: starts arriving in the same event-loop turn share one transaction).
   */
  async start(requestedName: string, instanceId: string | undefined, inputJson: string | null): Promise<string> {
    const name = this.#resolveOrchestrator(requestedName);
    if (name === undefined) {
      throw new OperationError(
        400,
        `The function '${requestedName}' doesn't exist, is disabled, or is not an orchestrator function. Additional info: no orchestrationTrigger function with this name is registered.`,
      );
    }
    const id = instanceId ?? newInstanceId();
    const bad = invalidInstanceIdReason(id);
    if (bad) throw new OperationError(400, bad);
    const now = this.#clock.now();
    const executionId = newInstanceId();
    await this.#engine.commit(() => {
      const existing = this.#store.getInstance(id);
      if (existing && !isTerminal(existing.status)) {
        throw new OperationError(500, `An Orchestration instance with the status ${existing.status} already exists.`);
      }
      if (existing) {
        this.#store.deleteHistory(id);
        this.#store.dropPendingWork(id);
      }
      this.#store.putInstance({
        instanceId: id,
        name,
        executionId,
        status: 'Pending',
        input: inputJson,
        output: null,
        customStatus: null,
        createdMs: now,
        updatedMs: now,
        parent: null,
        state: newExecState(),
      });
      this.#store.addInbox({
        instanceId: id,
        executionId,
        visibleMs: now,
        event: { EventType: EventType.ExecutionStarted, EventId: -1, Timestamp: iso(now), Name: name, Input: inputJson },
        chain: false,
      });
    });
    this.#engine.invalidate(id);
    this.#engine.notify(id, now);
    return id;
  }

  /** Queues an external event (resolves after the group commit). The caller has checked existence and status (404 / 410). */
  async raiseEvent(instanceId: string, eventName: string, dataJson: string | null): Promise<void> {
    const now = this.#clock.now();
    await this.#engine.commit(() =>
      this.#store.addInbox({
        instanceId,
        executionId: null,
        visibleMs: now,
        event: { EventType: EventType.EventRaised, EventId: -1, Timestamp: iso(now), Name: eventName, Input: dataJson },
        chain: false,
      }),
    );
    this.#engine.notify(instanceId, now);
  }

  /** 404 when missing, 410 when already finished; otherwise Terminated with the reason as output. */
  terminate(instanceId: string, reason: string): void {
    const now = this.#clock.now();
    this.#store.transaction(() => {
      const row = this.#requireActive(instanceId);
      const output = reasonJson(reason);
      this.#store.appendHistory(instanceId, [
        { EventType: EventType.ExecutionTerminated, EventId: -1, Timestamp: iso(now), Input: output },
      ]);
      this.#store.dropPendingWork(instanceId);
      this.#store.putInstance({ ...row, status: 'Terminated', output, updatedMs: now });
      if (row.parent) {
        this.#store.addInbox({
          instanceId: row.parent.instanceId,
          executionId: row.parent.executionId,
          visibleMs: now,
          event: {
            EventType: EventType.SubOrchestrationInstanceFailed,
            EventId: -1,
            Timestamp: '',
            TaskScheduledId: row.parent.taskId,
            Reason: `Orchestration '${instanceId}' was terminated: ${reason}`,
            Details: '',
          },
          chain: row.parent.chain === true,
        });
        this.#engine.notify(row.parent.instanceId, now);
      }
    });
    this.#engine.invalidate(instanceId);
  }

  suspend(instanceId: string, reason: string): void {
    const now = this.#clock.now();
    this.#store.transaction(() => {
      const row = this.#requireActive(instanceId);
      if (row.status === 'Suspended') return;
      this.#store.putInstance({ ...row, status: 'Suspended', output: reasonJson(reason), updatedMs: now });
    });
  }

  resume(instanceId: string, reason: string): void {
    const now = this.#clock.now();
    this.#store.transaction(() => {
      const row = this.#requireActive(instanceId);
      if (row.status !== 'Suspended') return;
      const status: RuntimeStatus = this.#store.hasHistory(instanceId) ? 'Running' : 'Pending';
      this.#store.putInstance({ ...row, status, output: reasonJson(reason), updatedMs: now });
    });
    this.#engine.notify(instanceId, now);
  }

  /**
   * Rewind (preview in the real runtime): a Failed instance gets its failed activity results removed from history and
   * those activities scheduled again, then replays. 404 unknown, 410 Completed/Terminated/Canceled; a non-failed active
   * instance is left alone. Failed sub-orchestrations and retry chains are not rewound (409 with a reason).
   */
  rewind(instanceId: string, reason: string): void {
    const now = this.#clock.now();
    const activities = this.#store.transaction(() => {
      const row = this.#store.getInstance(instanceId);
      if (!row) throw new OperationError(404, `No instance with ID '${instanceId}' was found.`);
      if (row.status === 'Completed' || row.status === 'Terminated' || row.status === 'Canceled') {
        throw new OperationError(410, `The instance '${instanceId}' is ${row.status}; only Failed instances can be rewound.`);
      }
      if (row.status !== 'Failed') return [];
      const history = this.#store.history(instanceId);
      if (history.some((e) => e.EventType === EventType.SubOrchestrationInstanceFailed) || Object.keys(row.state.chains).length > 0) {
        throw new OperationError(409, 'This local host rewinds failed activities only (no failed sub-orchestrations or retry chains).');
      }
      const scheduled = new Map(history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => [e.EventId, e]));
      const failed = history.filter((e) => e.EventType === EventType.TaskFailed);
      const kept = history.filter((e) => e.EventType !== EventType.TaskFailed && e.EventType !== EventType.ExecutionFailed);
      const state = structuredClone(row.state);
      const items = failed.flatMap((f) => {
        const s = f.TaskScheduledId === undefined ? undefined : scheduled.get(f.TaskScheduledId);
        if (!s || f.TaskScheduledId === undefined) return [];
        state.open[String(f.TaskScheduledId)] = { kind: 'activity' as const };
        const item = { instanceId, executionId: row.executionId, taskId: f.TaskScheduledId, name: s.Name ?? '', input: s.Input ?? null, chain: false };
        return [{ ...item, id: this.#store.addActivity(item) }];
      });
      kept.push({ EventType: EventType.GenericEvent, EventId: -1, Timestamp: iso(now), Name: `Rewound: ${reason}` });
      this.#store.deleteHistory(instanceId);
      this.#store.appendHistory(instanceId, kept);
      this.#store.putInstance({ ...row, status: 'Running', output: null, updatedMs: now, state });
      if (items.length === 0) {
        // The orchestrator itself threw: replay it once more (a GenericEvent, which the library ignores, opens the episode).
        this.#store.addInbox({
          instanceId,
          executionId: row.executionId,
          visibleMs: now,
          event: { EventType: EventType.GenericEvent, EventId: -1, Timestamp: iso(now), Name: 'rewind' },
          chain: false,
        });
      }
      return items;
    });
    this.#engine.invalidate(instanceId);
    this.#engine.enqueueActivities(activities);
    this.#engine.notify(instanceId, now);
  }

  /** Restarts with the original input; returns the (new) instance id. */
  restart(instanceId: string, withNewInstanceId: boolean): Promise<string> {
    const row = this.#store.getInstance(instanceId);
    if (!row) throw new OperationError(400, 'InstanceId does not match a valid orchestration instance.');
    return this.start(row.name, withNewInstanceId ? undefined : instanceId, row.input);
  }

  purge(instanceId: string): boolean {
    const existed = this.#store.purge(instanceId);
    this.#engine.invalidate(instanceId);
    return existed;
  }

  purgeBy(q: InstanceQuery): number {
    let n = 0;
    for (const row of this.#store.queryInstances(q)) if (this.purge(row.instanceId)) n++;
    return n;
  }

  /** Queues a signal (fire and forget) for an entity; the entity is created by its first operation. */
  signalEntity(entityId: string, operation: string, inputJson: string | undefined): void {
    const op: EntityOp = { name: operation, signal: true, requestId: newInstanceId() };
    if (inputJson !== undefined) op.input = inputJson;
    this.#store.addEntityOp(entityId, op);
    this.#engine.entities.notify(entityId);
  }

  getEntity(entityId: string): EntityRow | undefined {
    return this.#store.getEntity(entityId);
  }

  listEntities(namePrefix?: string): EntityRow[] {
    return this.#store.listEntities(namePrefix);
  }

  #requireActive(instanceId: string): InstanceRow {
    const row = this.#store.getInstance(instanceId);
    if (!row) throw new OperationError(404, `No instance with ID '${instanceId}' was found.`);
    if (isTerminal(row.status)) {
      throw new OperationError(410, `The instance '${instanceId}' is already ${row.status}.`);
    }
    return row;
  }
}
