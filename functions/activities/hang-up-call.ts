/** DELETE the call (fail-closed policies end the call when recording cannot happen). */
import { GraphCallError, type GraphCallsClient } from '../adapters/graph.js';
import type { CallRef, HangUpResult } from '../domain/activity-contracts.js';

export function createHangUpCall(deps: { graph: GraphCallsClient }) {
  return async function hangUpCall(input: CallRef): Promise<HangUpResult> {
    try {
      await deps.graph.hangUp(input.tenantId, input.callId);
      return { outcome: 'hungUp' };
    } catch (err) {
      if (err instanceof GraphCallError && err.callGone) return { outcome: 'callGone' };
      throw err;
    }
  };
}
