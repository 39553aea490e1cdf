/** Watchdog probe: GET the call. 404 means it ended (a lost terminated/deleted notification). */
import { GraphCallError, type GraphCallsClient } from '../adapters/graph.js';
import type { CallRef, GetCallResult } from '../domain/activity-contracts.js';

export function createGetCall(deps: { graph: GraphCallsClient }) {
  return async function getCall(input: CallRef): Promise<GetCallResult> {
    try {
      const call = await deps.graph.getCall(input.tenantId, input.callId);
      const ri = call.resultInfo;
      return {
        outcome: 'present',
        state: call.state ?? null,
        resultInfo: ri ? { ...(ri.code !== undefined ? { code: ri.code } : {}), ...(ri.subcode !== undefined ? { subcode: ri.subcode } : {}), message: ri.message ?? null } : null,
      };
    } catch (err) {
      if (err instanceof GraphCallError && err.callGone) return { outcome: 'callGone' };
      throw err;
    }
  };
}
