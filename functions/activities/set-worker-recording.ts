/** Grants (or revokes) persisting on the media-worker session. Only called after Graph confirmed `recording`. */
import { WorkerCallError, type WorkerClient } from '../adapters/worker.js';
import type { SessionResult, SetWorkerRecordingInput } from '../domain/activity-contracts.js';

export function createSetWorkerRecording(deps: { workers: WorkerClient }) {
  return async function setWorkerRecording(input: SetWorkerRecordingInput): Promise<SessionResult> {
    try {
      await deps.workers.setRecording(input.workerId, input.sessionId, { status: input.status, clientContext: input.clientContext, at: input.at });
      return { outcome: 'done' };
    } catch (err) {
      if (err instanceof WorkerCallError && err.notFound) return { outcome: 'sessionGone' };
      throw err;
    }
  };
}
