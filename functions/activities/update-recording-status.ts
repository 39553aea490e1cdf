/** Reports the recording status to Graph. `completed` is the only success; 4xx is a refusal; 5xx/transport is thrown (retried). */
import { GraphCallError, type GraphCallsClient } from '../adapters/graph.js';
import type { UpdateRecordingStatusInput, UpdateRecordingStatusResult } from '../domain/activity-contracts.js';

export function createUpdateRecordingStatus(deps: { graph: GraphCallsClient }) {
  return async function updateRecordingStatus(input: UpdateRecordingStatusInput): Promise<UpdateRecordingStatusResult> {
    try {
      const op = await deps.graph.updateRecordingStatus(input.tenantId, input.callId, { clientContext: input.clientContext, status: input.status });
      const operationId = op.id ?? null;
      if (op.status === 'completed') return { outcome: 'completed', operationId };
      if (op.status === 'failed') {
        return { outcome: 'refused', httpStatus: 200, code: op.resultInfo?.code !== undefined ? String(op.resultInfo.code) : null, message: op.resultInfo?.message ?? 'operation failed' };
      }
      return { outcome: 'pending', operationId };
    } catch (err) {
      if (err instanceof GraphCallError) {
        if (err.callGone) return { outcome: 'callGone' };
        if (!err.transient) return { outcome: 'refused', httpStatus: err.status, code: err.code, message: err.message };
      }
      throw err;
    }
  };
}
