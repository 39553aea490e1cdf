/** Releases the media-worker session after the call was sealed and finalized. */
import { WorkerCallError, type WorkerClient } from '../adapters/worker.js';
import type { SessionRef, SessionResult } from '../domain/activity-contracts.js';

export function createReleaseSession(deps: { workers: WorkerClient }) {
  return async function releaseSession(input: SessionRef): Promise<SessionResult> {
    try {
      await deps.workers.release(input.workerId, input.sessionId);
      return { outcome: 'done' };
    } catch (err) {
      if (err instanceof WorkerCallError && err.notFound) return { outcome: 'sessionGone' };
      throw err;
    }
  };
}
