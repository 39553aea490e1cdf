/**
 * WAL checkpoints off the event loop. The store's own connection never checkpoints (`wal_autocheckpoint = 0`): a
 * checkpoint copies the WAL into the database file and fsyncs both, which took 10–40 ms here and, run inside a commit
 * on the app's event loop, stalled every HTTP request in flight. This worker thread holds a second connection to the
 * same file and runs `wal_checkpoint(PASSIVE)` every `intervalMs`: PASSIVE never blocks the writer, and SQLite
 * restarts the WAL from its beginning once a checkpoint has caught up.
 *
 * Runs as a worker thread (`new Worker(new URL('./checkpointer.js', import.meta.url), { workerData })`).
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface CheckpointerData {
  readonly file: string;
  readonly intervalMs: number;
  /** Beyond this WAL size a TRUNCATE checkpoint (which briefly holds the writer) resets it: under constant writes a
   * PASSIVE checkpoint rarely catches up at the moment a writer starts, so the WAL would otherwise only grow. */
  readonly maxWalBytes: number;
}

function run(data: CheckpointerData): void {
  const db = new Database(data.file);
  db.pragma('busy_timeout = 100');
  const walBytes = (): number => {
    try {
      return statSync(`${data.file}-wal`).size;
    } catch {
      return 0;
    }
  };
  const tick = (): void => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      if (walBytes() > data.maxWalBytes) db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      parentPort?.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  };
  const timer = setInterval(tick, data.intervalMs);
  parentPort?.on('message', (m: unknown) => {
    if (m === 'stop') {
      clearInterval(timer);
      db.close();
      parentPort?.postMessage({ type: 'stopped' });
      parentPort?.close();
    }
  });
}

if (parentPort && workerData) run(workerData as CheckpointerData);
