/**
 * The durable store: one better-sqlite3 file (WAL) holding instances, history, the orchestrator inbox (events, activity
 * results, timers with their fire time) and the activity work queue. All writes that belong together go through
 * `transaction()`, so a crash (even kill -9) leaves either the whole episode or none of it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CheckpointerData } from './checkpointer.js';
import type { ExecState } from './exec-state.js';
import type { HistoryEvent, RuntimeStatus } from './history-types.js';

export interface ParentRef {
  instanceId: string;
  executionId: string;
  taskId: number;
  /** True when the parent's task is part of a retry chain. */
  chain?: boolean;
}

export interface InstanceRow {
  instanceId: string;
  name: string;
  executionId: string;
  status: RuntimeStatus;
  /** JSON text or null. */
  input: string | null;
  /** JSON text or null. */
  output: string | null;
  /** JSON text or null. */
  customStatus: string | null;
  createdMs: number;
  updatedMs: number;
  parent: ParentRef | null;
  state: ExecState;
}

export interface InboxMessage {
  id: number;
  instanceId: string;
  /** null: for whatever execution is current (external events). */
  executionId: string | null;
  visibleMs: number;
  event: HistoryEvent;
  /** True when the event completes a task of a retry chain (it must open an episode, see engine). */
  chain: boolean;
}

export type NewInboxMessage = Omit<InboxMessage, 'id'>;

export interface ActivityItem {
  id: number;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text. */
  input: string | null;
  chain: boolean;
}

export type NewActivityItem = Omit<ActivityItem, 'id'>;

export interface InstanceQuery {
  statuses?: readonly RuntimeStatus[];
  createdFromMs?: number;
  createdToMs?: number;
  namePrefix?: string;
  instanceIdPrefix?: string;
  /** Keyset paging: rows strictly after (createdMs, instanceId). */
  after?: { createdMs: number; instanceId: string };
  limit?: number;
}

interface InstanceRecord {
  instance_id: string;
  name: string;
  execution_id: string;
  status: string;
  input: string | null;
  output: string | null;
  custom_status: string | null;
  created_ms: number;
  updated_ms: number;
  parent_json: string | null;
  state_json: string;
}

interface InboxRecord {
  id: number;
  instance_id: string;
  execution_id: string | null;
  visible_ms: number;
  event: string;
  chain: number;
}

interface ActivityRecord {
  id: number;
  instance_id: string;
  execution_id: string;
  task_id: number;
  name: string;
  input: string | null;
  chain: number;
}

const schemaVersion = 2;

const schema = `
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT,
  output TEXT,
  custom_status TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  parent_json TEXT,
  state_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_by_created ON instances (created_ms, instance_id);
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL,
  chunk INTEGER NOT NULL,
  events TEXT NOT NULL,
  PRIMARY KEY (instance_id, chunk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT,
  visible_ms INTEGER NOT NULL,
  event TEXT NOT NULL,
  chain INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS inbox_by_instance ON inbox (instance_id, id);
CREATE TABLE IF NOT EXISTS activities (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  input TEXT,
  chain INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS activities_by_instance ON activities (instance_id);
CREATE TABLE IF NOT EXISTS entities (
  entity_id TEXT PRIMARY KEY,
  state TEXT,
  last_op_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entity_ops (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_id TEXT NOT NULL,
  op TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entity_ops_by_entity ON entity_ops (entity_id, id);
`;

/** One operation queued for an entity (a signal, or a call whose response goes to `parent`). */
export interface EntityOp {
  name: string;
  /** JSON text of the operation input. */
  input?: string | undefined;
  signal: boolean;
  requestId: string;
  parent?: { instanceId: string; executionId: string } | undefined;
}

export interface EntityRow {
  /** `@name@key`, name lower-cased. */
  entityId: string;
  /** JSON text, or null when the entity exists without state. */
  state: string | null;
  lastOpMs: number;
}

const cacheLimit = 20_000;

function toInstance(r: InstanceRecord): InstanceRow {
  return {
    instanceId: r.instance_id,
    name: r.name,
    executionId: r.execution_id,
    status: r.status as RuntimeStatus,
    input: r.input,
    output: r.output,
    customStatus: r.custom_status,
    createdMs: r.created_ms,
    updatedMs: r.updated_ms,
    parent: r.parent_json ? (JSON.parse(r.parent_json) as ParentRef) : null,
    state: JSON.parse(r.state_json) as ExecState,
  };
}

function toInbox(r: InboxRecord): InboxMessage {
  return {
    id: r.id,
    instanceId: r.instance_id,
    executionId: r.execution_id,
    visibleMs: r.visible_ms,
    event: JSON.parse(r.event) as HistoryEvent,
    chain: r.chain === 1,
  };
}

function toActivity(r: ActivityRecord): ActivityItem {
  return {
    id: r.id,
    instanceId: r.instance_id,
    executionId: r.execution_id,
    taskId: r.task_id,
    name: r.name,
    input: r.input,
    chain: r.chain === 1,
  };
}

export class DurableStore {
  readonly #db: Database.Database;
  readonly #lock: Database.Database;
  #checkpointer: Worker | undefined;
  readonly #stmts;
  readonly #cache = new Map<string, InstanceRow>();
  /** One transaction wrapper for the store's life: better-sqlite3's `transaction()` builds four closures per call. */
  readonly #tx: (fn: () => unknown) => unknown;

  constructor(dataDir: string, fileName = 'durable.sqlite', synchronous: 'OFF' | 'NORMAL' | 'FULL' = 'NORMAL') {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, fileName);
    // One host per data folder: an exclusive lock on a companion file (released by the OS when the process dies, even
    // on kill -9) makes a second host on the same folder fail at start instead of running the same work twice. The
    // store itself uses normal locking so that the checkpointer thread can open it too.
    this.#lock = new Database(`${file}.lock`);
    this.#db = new Database(file);
    try {
      this.#lock.pragma('locking_mode = EXCLUSIVE');
      this.#lock.pragma('journal_mode = WAL');
      this.#lock.exec('BEGIN IMMEDIATE; COMMIT');
      this.#db.pragma('busy_timeout = 2000');
      this.#db.pragma('journal_mode = WAL');
      // In WAL mode every commit is written to the WAL file before it returns, so a committed transaction survives a
      // process crash (kill -9) with either setting; NORMAL also survives an OS crash except for the last commits.
      this.#db.pragma(`synchronous = ${synchronous}`);
      // Checkpoints run in the checkpointer thread, never inside a commit on the event loop.
      this.#db.pragma('wal_autocheckpoint = 0');
    } catch (err) {
      this.#db.close();
      this.#lock.close();
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(/locked|busy/i.test(why) ? `${file} is in use by another host process (${why}).` : `Cannot open ${file}: ${why}`);
    }
    const version = Number(this.#db.pragma('user_version', { simple: true }));
    if (version !== 0 && version !== schemaVersion) {
      throw new Error(`${join(dataDir, fileName)} has store schema ${version}, this host needs ${schemaVersion}: delete the file to start over.`);
    }
    // Pages stay in memory (64 MiB at most), temp tables too: fewer reads of the file under load.
    this.#db.pragma('cache_size = -65536');
    this.#db.pragma('temp_store = MEMORY');
    this.#db.exec(schema);
    this.#db.pragma(`user_version = ${schemaVersion}`);
    const db = this.#db;
    // Called again inside a transaction, the same wrapper makes a savepoint (better-sqlite3 checks db.inTransaction).
    this.#tx = db.transaction((fn: () => unknown) => fn());
    this.#stmts = {
      getInstance: db.prepare<[string], InstanceRecord>('SELECT * FROM instances WHERE instance_id = ?'),
      upsertInstance: db.prepare(
        `INSERT INTO instances (instance_id, name, execution_id, status, input, output, custom_status, created_ms, updated_ms, parent_json, state_json)
         VALUES (@instanceId, @name, @executionId, @status, @input, @output, @customStatus, @createdMs, @updatedMs, @parentJson, @stateJson)
         ON CONFLICT (instance_id) DO UPDATE SET name = excluded.name, execution_id = excluded.execution_id, status = excluded.status,
           input = excluded.input, output = excluded.output, custom_status = excluded.custom_status, created_ms = excluded.created_ms,
           updated_ms = excluded.updated_ms, parent_json = excluded.parent_json, state_json = excluded.state_json`,
      ),
      updateInstance: db.prepare(
        `UPDATE instances SET name = @name, execution_id = @executionId, status = @status, input = @input, output = @output,
           custom_status = @customStatus, created_ms = @createdMs, updated_ms = @updatedMs, parent_json = @parentJson, state_json = @stateJson
         WHERE instance_id = @instanceId`,
      ),
      deleteInstance: db.prepare<[string]>('DELETE FROM instances WHERE instance_id = ?'),
      history: db.prepare<[string], { events: string }>('SELECT events FROM history WHERE instance_id = ? ORDER BY chunk'),
      nextChunk: db.prepare<[string], { n: number }>('SELECT COALESCE(MAX(chunk) + 1, 0) AS n FROM history WHERE instance_id = ?'),
      appendHistory: db.prepare<[string, string, string]>(
        'INSERT INTO history (instance_id, chunk, events) VALUES (?, (SELECT COALESCE(MAX(chunk) + 1, 0) FROM history WHERE instance_id = ?), ?)',
      ),
      deleteHistory: db.prepare<[string]>('DELETE FROM history WHERE instance_id = ?'),
      visibleInbox: db.prepare<[string, number], InboxRecord>(
        'SELECT * FROM inbox WHERE instance_id = ? AND visible_ms <= ? ORDER BY id',
      ),
      hasVisible: db.prepare<[string, number], { one: number }>(
        'SELECT 1 AS one FROM inbox WHERE instance_id = ? AND visible_ms <= ? LIMIT 1',
      ),
      allInbox: db.prepare<[], InboxRecord>('SELECT * FROM inbox ORDER BY id'),
      insertInbox: db.prepare(
        'INSERT INTO inbox (instance_id, execution_id, visible_ms, event, chain) VALUES (@instanceId, @executionId, @visibleMs, @event, @chain)',
      ),
      deleteInboxMessage: db.prepare<[number]>('DELETE FROM inbox WHERE id = ?'),
      deleteInboxOf: db.prepare<[string]>('DELETE FROM inbox WHERE instance_id = ?'),
      allActivities: db.prepare<[], ActivityRecord>('SELECT * FROM activities ORDER BY id'),
      getActivity: db.prepare<[number], ActivityRecord>('SELECT * FROM activities WHERE id = ?'),
      insertActivity: db.prepare(
        `INSERT INTO activities (instance_id, execution_id, task_id, name, input, chain)
         VALUES (@instanceId, @executionId, @taskId, @name, @input, @chain)`,
      ),
      deleteActivity: db.prepare<[number]>('DELETE FROM activities WHERE id = ?'),
      deleteActivitiesOf: db.prepare<[string]>('DELETE FROM activities WHERE instance_id = ?'),
      getEntity: db.prepare<[string], { entity_id: string; state: string | null; last_op_ms: number }>('SELECT * FROM entities WHERE entity_id = ?'),
      putEntity: db.prepare<[string, string | null, number]>(
        'INSERT INTO entities (entity_id, state, last_op_ms) VALUES (?, ?, ?) ON CONFLICT (entity_id) DO UPDATE SET state = excluded.state, last_op_ms = excluded.last_op_ms',
      ),
      deleteEntity: db.prepare<[string]>('DELETE FROM entities WHERE entity_id = ?'),
      listEntities: db.prepare<[string], { entity_id: string; state: string | null; last_op_ms: number }>(
        "SELECT * FROM entities WHERE entity_id LIKE ? ESCAPE '\\' ORDER BY entity_id",
      ),
      entityOps: db.prepare<[string], { id: number; op: string }>('SELECT id, op FROM entity_ops WHERE entity_id = ? ORDER BY id LIMIT 100'),
      entitiesWithOps: db.prepare<[], { entity_id: string }>('SELECT DISTINCT entity_id FROM entity_ops'),
      addEntityOp: db.prepare<[string, string]>('INSERT INTO entity_ops (entity_id, op) VALUES (?, ?)'),
      deleteEntityOp: db.prepare<[number]>('DELETE FROM entity_ops WHERE id = ?'),
    };
  }

  /**
   * Runs `fn` in one SQLite transaction (all or nothing). Nested calls become savepoints: an inner failure rolls back
   * only the inner part.
   */
  transaction<T>(fn: () => T): T {
    try {
      return this.#tx(fn) as T;
    } catch (err) {
      this.#cache.clear(); // the rows cached during the rolled-back part may be wrong
      throw err;
    }
  }

  /** Returns a copy; the instance cache is write-through (this process is the only writer). */
  getInstance(instanceId: string): InstanceRow | undefined {
    const cached = this.#cache.get(instanceId);
    if (cached) return { ...cached };
    const r = this.#stmts.getInstance.get(instanceId);
    if (!r) return undefined;
    const row = toInstance(r);
    this.#remember(row);
    return { ...row };
  }

  #remember(row: InstanceRow): void {
    this.#cache.delete(row.instanceId);
    this.#cache.set(row.instanceId, row);
    if (this.#cache.size > cacheLimit) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }

  putInstance(row: InstanceRow): void {
    // A cached row exists in the table (the cache is dropped on rollback and purge): a plain UPDATE is cheaper than
    // the upsert's failed INSERT; the upsert remains the fallback.
    const known = this.#cache.has(row.instanceId);
    this.#remember({ ...row });
    const params = {
      instanceId: row.instanceId,
      name: row.name,
      executionId: row.executionId,
      status: row.status,
      input: row.input,
      output: row.output,
      customStatus: row.customStatus,
      createdMs: row.createdMs,
      updatedMs: row.updatedMs,
      parentJson: row.parent ? JSON.stringify(row.parent) : null,
      stateJson: JSON.stringify(row.state),
    };
    if (known && this.#stmts.updateInstance.run(params).changes === 1) return;
    this.#stmts.upsertInstance.run(params);
  }

  queryInstances(q: InstanceQuery): InstanceRow[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.statuses && q.statuses.length > 0) {
      where.push(`status IN (${q.statuses.map(() => '?').join(',')})`);
      params.push(...q.statuses);
    }
    if (q.createdFromMs !== undefined) {
      where.push('created_ms >= ?');
      params.push(q.createdFromMs);
    }
    if (q.createdToMs !== undefined) {
      where.push('created_ms <= ?');
      params.push(q.createdToMs);
    }
    if (q.namePrefix) {
      where.push("name LIKE ? ESCAPE '\\'");
      params.push(`${escapeLike(q.namePrefix)}%`);
    }
    if (q.instanceIdPrefix) {
      where.push("instance_id LIKE ? ESCAPE '\\'");
      params.push(`${escapeLike(q.instanceIdPrefix)}%`);
    }
    if (q.after) {
      where.push('(created_ms > ? OR (created_ms = ? AND instance_id > ?))');
      params.push(q.after.createdMs, q.after.createdMs, q.after.instanceId);
    }
    const sql =
      `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_ms, instance_id` +
      (q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : '');
    return this.#db.prepare<(string | number)[], InstanceRecord>(sql).all(...params).map(toInstance);
  }

  /** The history of the current execution, in order. Stored as one row per episode (a JSON array of events). */
  history(instanceId: string): HistoryEvent[] {
    return this.#stmts.history.all(instanceId).flatMap((r) => JSON.parse(r.events) as HistoryEvent[]);
  }

  appendHistory(instanceId: string, events: readonly HistoryEvent[]): void {
    if (events.length > 0) this.#stmts.appendHistory.run(instanceId, instanceId, JSON.stringify(events));
  }

  hasHistory(instanceId: string): boolean {
    return (this.#stmts.nextChunk.get(instanceId)?.n ?? 0) > 0;
  }

  deleteHistory(instanceId: string): void {
    this.#stmts.deleteHistory.run(instanceId);
  }

  visibleInbox(instanceId: string, nowMs: number): InboxMessage[] {
    return this.#stmts.visibleInbox.all(instanceId, nowMs).map(toInbox);
  }

  hasVisibleInbox(instanceId: string, nowMs: number): boolean {
    return this.#stmts.hasVisible.get(instanceId, nowMs) !== undefined;
  }

  allInbox(): InboxMessage[] {
    return this.#stmts.allInbox.all().map(toInbox);
  }

  addInbox(m: NewInboxMessage): number {
    const info = this.#stmts.insertInbox.run({
      instanceId: m.instanceId,
      executionId: m.executionId,
      visibleMs: m.visibleMs,
      event: JSON.stringify(m.event),
      chain: m.chain ? 1 : 0,
    });
    return Number(info.lastInsertRowid);
  }

  deleteInbox(ids: readonly number[]): void {
    for (const id of ids) this.#stmts.deleteInboxMessage.run(id);
  }

  allActivities(): ActivityItem[] {
    return this.#stmts.allActivities.all().map(toActivity);
  }

  getActivity(id: number): ActivityItem | undefined {
    const r = this.#stmts.getActivity.get(id);
    return r ? toActivity(r) : undefined;
  }

  addActivity(a: NewActivityItem): number {
    const info = this.#stmts.insertActivity.run({ ...a, chain: a.chain ? 1 : 0 });
    return Number(info.lastInsertRowid);
  }

  deleteActivity(id: number): boolean {
    return this.#stmts.deleteActivity.run(id).changes > 0;
  }

  /** Removes the instance and everything queued for it. Returns whether it existed. */
  purge(instanceId: string): boolean {
    this.#cache.delete(instanceId);
    return this.transaction(() => {
      const existed = this.#stmts.deleteInstance.run(instanceId).changes > 0;
      this.#stmts.deleteHistory.run(instanceId);
      this.#stmts.deleteInboxOf.run(instanceId);
      this.#stmts.deleteActivitiesOf.run(instanceId);
      return existed;
    });
  }

  /** Drops pending work of an instance (terminate, restart over a finished id). Call inside a transaction. */
  dropPendingWork(instanceId: string): void {
    this.#stmts.deleteInboxOf.run(instanceId);
    this.#stmts.deleteActivitiesOf.run(instanceId);
  }

  getEntity(entityId: string): EntityRow | undefined {
    const r = this.#stmts.getEntity.get(entityId);
    return r ? { entityId: r.entity_id, state: r.state, lastOpMs: r.last_op_ms } : undefined;
  }

  putEntity(row: EntityRow): void {
    this.#stmts.putEntity.run(row.entityId, row.state, row.lastOpMs);
  }

  deleteEntity(entityId: string): void {
    this.#stmts.deleteEntity.run(entityId);
  }

  /** Entities whose id starts with `@<namePrefix>` (lower-cased name), ordered by id. */
  listEntities(namePrefix = ''): EntityRow[] {
    return this.#stmts.listEntities
      .all(`@${escapeLike(namePrefix.toLowerCase())}%`)
      .map((r) => ({ entityId: r.entity_id, state: r.state, lastOpMs: r.last_op_ms }));
  }

  entityOps(entityId: string): { id: number; op: EntityOp }[] {
    return this.#stmts.entityOps.all(entityId).map((r) => ({ id: r.id, op: JSON.parse(r.op) as EntityOp }));
  }

  entitiesWithOps(): string[] {
    return this.#stmts.entitiesWithOps.all().map((r) => r.entity_id);
  }

  addEntityOp(entityId: string, op: EntityOp): void {
    this.#stmts.addEntityOp.run(entityId, JSON.stringify(op));
  }

  deleteEntityOps(ids: readonly number[]): void {
    for (const id of ids) this.#stmts.deleteEntityOp.run(id);
  }

  /**
   * Starts the WAL checkpointer thread (see checkpointer.ts). Without it the WAL only grows (until `close()`, which
   * checkpoints), so the host starts it with the store.
   */
  startCheckpointer(intervalMs = 250, maxWalBytes = 64 * 1024 * 1024): void {
    if (this.#checkpointer || !this.#db.open) return;
    const data: CheckpointerData = { file: this.#db.name, intervalMs, maxWalBytes };
    const worker = new Worker(new URL('./checkpointer.js', import.meta.url), { workerData: data });
    worker.unref();
    worker.on('error', () => undefined); // a failed checkpointer leaves the WAL growing; close() still checkpoints
    this.#checkpointer = worker;
  }

  close(): void {
    void this.#checkpointer?.terminate();
    this.#checkpointer = undefined;
    if (this.#db.open) {
      try {
        this.#db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // busy (the checkpointer was mid-way): the next open recovers from the WAL
      }
      this.#db.close();
    }
    if (this.#lock.open) this.#lock.close();
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
