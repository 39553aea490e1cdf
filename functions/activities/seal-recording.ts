/** Seals the call's streams on the media-worker (writes the signed manifest). Idempotent on the worker. */
import { WorkerCallError, type WorkerClient } from '../adapters/worker.js';
import type { SealInput, SealResult } from '../domain/activity-contracts.js';

export function createSealRecording(deps: { workers: WorkerClient; sealTimeoutMs: number }) {
  return async function sealRecording(input: SealInput): Promise<SealResult> {
    try {
      const seal = await deps.workers.seal(input.workerId, input.sessionId, input.reason, deps.sealTimeoutMs);
      return { outcome: 'sealed', seal };
    } catch (err) {
      if (err instanceof WorkerCallError && err.notFound) return { outcome: 'sessionGone' };
      throw err;
    }
  };
}
