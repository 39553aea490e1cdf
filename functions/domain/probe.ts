/**
 * What a GET of the call (the establish-timeout and watchdog probes) tells the call model: it reconciles Graph
 * notifications that never reached the orchestration (lost at a continueAsNew, or never sent): a lost `established`
 * (recording can start), a lost `terminating`/`terminated` (the call ends), a call that is gone (404). Pure; mutates
 * the model like the orchestrator's other steps.
 */
import type { GetCallResult } from './activity-contracts.js';
import { applyCallState, isEnded } from './call-state.js';
import type { CallModel } from './call-model.js';
import { advanceLifecycle } from './lifecycle.js';

export type ProbeOutcome = 'gone' | 'ended' | 'established' | 'unchanged';

export function applyProbe(m: CallModel, probe: GetCallResult, now: string, by: 'watchdog' | 'establishTimeout'): ProbeOutcome {
  m.lastProbeAt = now;
  if (probe.outcome === 'callGone') {
    m.endedBy = by === 'watchdog' ? 'watchdog: call gone' : 'establish timeout: call gone';
    return 'gone';
  }
  if (!probe.state) return 'unchanged';
  const r = applyCallState(m.callState, { dedupId: `probe:${now}`, state: probe.state, resultInfo: probe.resultInfo });
  m.callState = r.view;
  if (isEnded(m.callState)) return 'ended';
  if (m.callState.state === 'terminating') m.lifecycle = advanceLifecycle(m.lifecycle, 'terminating');
  if (m.callState.everEstablished && m.establishedAt === null) {
    m.establishedAt = now;
    m.lifecycle = advanceLifecycle(m.lifecycle, 'established');
    return 'established';
  }
  return 'unchanged';
}
