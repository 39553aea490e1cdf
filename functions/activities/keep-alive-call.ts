/** Graph keepAlive (at least every 45 min; we send every 15). 404 means the call has ended. */
import { GraphCallError, type GraphCallsClient } from '../adapters/graph.js';
import type { CallRef, KeepAliveResult } from '../domain/activity-contracts.js';

export function createKeepAliveCall(deps: { graph: GraphCallsClient }) {
  return async function keepAliveCall(input: CallRef): Promise<KeepAliveResult> {
    try {
      await deps.graph.keepAlive(input.tenantId, input.callId);
      return { outcome: 'alive' };
    } catch (err) {
      if (err instanceof GraphCallError && err.callGone) return { outcome: 'callGone' };
      throw err;
    }
  };
}
