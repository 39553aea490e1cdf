/**
 * Keeps a recent view of each worker's load and health for the answer path. Load is refreshed in the background
 * (never on the answer path); a worker that fails a reserve is marked unhealthy until its next good load report.
 */
import { rankWorkers, type WorkerCandidate } from '../domain/worker-choice.js';
import type { WorkerClient } from './worker.js';

export interface WorkerRegistryOptions {
  refreshIntervalMs: number;
  loadTimeoutMs: number;
}

export class WorkerRegistry {
  private readonly state = new Map<string, WorkerCandidate>();
  private refreshing: Promise<void> | null = null;
  private lastRefresh = 0;

  constructor(
    private readonly client: WorkerClient,
    workers: readonly { workerId: string; controlUrl: string }[],
    private readonly options: WorkerRegistryOptions,
  ) {
    for (const w of workers) this.state.set(w.workerId, { ...w, healthy: true, calls: 0, bufferBytes: 0 });
  }

  /** Workers in preference order. Triggers a background refresh when the view is stale. */
  ranked(): WorkerCandidate[] {
    if (Date.now() - this.lastRefresh > this.options.refreshIntervalMs) void this.refresh();
    return rankWorkers([...this.state.values()]);
  }

  /** Counts a reservation locally so that a burst spreads before the next load report. */
  noteReserved(workerId: string): void {
    const w = this.state.get(workerId);
    if (w) w.calls += 1;
  }

  markUnhealthy(workerId: string): void {
    const w = this.state.get(workerId);
    if (w) w.healthy = false;
  }

  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      this.lastRefresh = Date.now();
      await Promise.all(
        [...this.state.values()].map(async (w) => {
          try {
            const load = await this.client.load(w.workerId, this.options.loadTimeoutMs);
            w.healthy = true;
            w.calls = load.calls;
            w.bufferBytes = load.bufferedBytes;
          } catch {
            w.healthy = false;
          }
        }),
      );
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }
}
