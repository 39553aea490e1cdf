/**
 * Durable entities: operations queue per entity (`@name@key`, name lower-cased), one batch at a time per entity through
 * the registered entityTrigger function (the library's Entity batch protocol), state and responses committed together.
 */
import { z } from 'zod';
import type { HostServices } from '../runtime/extension.js';
import { iso } from './episode.js';
import { EventType } from './history-types.js';
import type { DurableStore, EntityOp, NewInboxMessage } from './store.js';

export function entityIdOf(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function parseEntityId(entityId: string): { name: string; key: string } {
  const at = entityId.indexOf('@', 1);
  return { name: entityId.slice(1, at), key: entityId.slice(at + 1) };
}

const entityStateSchema = z.looseObject({
  entityExists: z.boolean().optional(),
  entityState: z.string().nullable().optional(),
  results: z.array(z.looseObject({ isError: z.boolean(), result: z.string().optional() }).nullable()).default([]),
  signals: z
    .array(z.looseObject({ target: z.object({ name: z.string(), key: z.string() }), name: z.string(), input: z.string().optional() }))
    .default([]),
});

export interface EntityDispatcherDeps {
  store: DurableStore;
  host: HostServices;
  /** Group commit of the engine; resolves after the transaction is durable. */
  commit<T>(fn: () => T): Promise<T>;
  /** Called after commit for each message to an orchestrator. */
  delivered(m: NewInboxMessage): void;
  /** Asks the engine to pump again. */
  wake(): void;
  parseResult(d: unknown): string | undefined;
}

export class EntityDispatcher {
  readonly #deps: EntityDispatcherDeps;
  readonly #ready = new Set<string>();
  readonly #running = new Set<string>();

  constructor(deps: EntityDispatcherDeps) {
    this.#deps = deps;
  }

  start(): void {
    for (const id of this.#deps.store.entitiesWithOps()) this.#ready.add(id);
  }

  notify(entityId: string): void {
    this.#ready.add(entityId);
    this.#deps.wake();
  }

  /** Starts batches for ready entities; returns the promises of the started batches. */
  pump(maxConcurrent: number): Promise<void>[] {
    const started: Promise<void>[] = [];
    for (const id of this.#ready) {
      if (this.#running.size >= maxConcurrent) break;
      if (this.#running.has(id)) continue;
      this.#ready.delete(id);
      this.#running.add(id);
      started.push(
        this.#run(id)
          .catch((err: unknown) => this.#deps.host.log.error('durable entity batch failed', { entityId: id, error: String(err) }))
          .finally(() => {
            this.#running.delete(id);
            if (this.#deps.store.entityOps(id).length > 0) this.#ready.add(id);
            this.#deps.wake();
          }),
      );
    }
    return started;
  }

  async #run(entityId: string): Promise<void> {
    const { store, host } = this.#deps;
    const ops = store.entityOps(entityId);
    if (ops.length === 0) return;
    const entity = store.getEntity(entityId);
    const { name, key } = parseEntityId(entityId);
    const fn = host.functions().find((f) => f.name.toLowerCase() === name && f.trigger.type.toLowerCase() === 'entitytrigger');
    let exists = entity !== undefined;
    let state = entity?.state ?? null;
    let results: ({ isError: boolean; result?: string | undefined } | null)[] = [];
    let signals: { target: { name: string; key: string }; name: string; input?: string | undefined }[] = [];
    if (!fn) {
      const message = `The function '${name}' doesn't exist, is disabled, or is not an entity function.`;
      results = ops.map(() => ({ isError: true, result: JSON.stringify(message) }));
    } else {
      const payload = {
        self: { name, key },
        exists,
        state: state ?? undefined,
        batch: ops.map((o) => ({ name: o.op.name, input: o.op.input, id: o.op.requestId, isSignal: o.op.signal })),
      };
      try {
        const res = await host.invoke(fn.name, { triggerData: { json: JSON.stringify(payload) } });
        const text = this.#deps.parseResult(res.returnValue);
        const parsed = entityStateSchema.safeParse(text === undefined ? undefined : JSON.parse(text));
        if (!parsed.success) throw new Error(`the entity function returned no valid entity state: ${parsed.error.message}`);
        exists = parsed.data.entityExists ?? exists;
        state = parsed.data.entityState ?? null;
        results = parsed.data.results;
        signals = parsed.data.signals;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        results = ops.map(() => ({ isError: true, result: JSON.stringify(message) }));
      }
    }
    const now = host.clock.now();
    const inbox: NewInboxMessage[] = [];
    const touched = new Set<string>();
    await this.#deps.commit(() => {
      store.deleteEntityOps(ops.map((o) => o.id));
      if (exists) store.putEntity({ entityId, state, lastOpMs: now });
      else store.deleteEntity(entityId);
      ops.forEach((o, i) => {
        const parent = o.op.parent;
        if (o.op.signal || !parent) return;
        const r = results[i];
        const response = r?.isError ? { result: r.result ?? '""', exceptionType: 'Error' } : { result: r?.result };
        const m: NewInboxMessage = {
          instanceId: parent.instanceId,
          executionId: parent.executionId,
          visibleMs: now,
          event: { EventType: EventType.EventRaised, EventId: -1, Timestamp: iso(now), Name: o.op.requestId, Input: JSON.stringify(response) },
          chain: false,
        };
        store.addInbox(m);
        inbox.push(m);
      });
      signals.forEach((s, i) => {
        const target = entityIdOf(s.target.name, s.target.key);
        const op: EntityOp = { name: s.name, signal: true, requestId: `${entityId}:${now}:${i}` };
        if (s.input) op.input = s.input;
        store.addEntityOp(target, op);
        touched.add(target);
      });
    });
    for (const m of inbox) this.#deps.delivered(m);
    for (const t of touched) this.#ready.add(t);
  }
}
