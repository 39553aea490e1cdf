/** Sends the participant timeline and speaker map to the media-worker session (idempotent: the latest view wins). */
import { WorkerCallError, type WorkerClient } from '../adapters/worker.js';
import type { SendRosterInput, SessionResult } from '../domain/activity-contracts.js';

export function createSendRoster(deps: { workers: WorkerClient }) {
  return async function sendRoster(input: SendRosterInput): Promise<SessionResult> {
    try {
      await deps.workers.sendRoster(input.workerId, input.sessionId, input.update);
      return { outcome: 'done' };
    } catch (err) {
      if (err instanceof WorkerCallError && (err.notFound || err.status === 409)) return { outcome: 'sessionGone' };
      throw err;
    }
  };
}
