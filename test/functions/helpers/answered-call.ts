// A plain answered call for the pure call-model tests: settings, times, and the answer result of a 1:1 incoming call.
import { callSchema } from '../../../contracts/graph/index.js';
import { summarizeIncomingCall } from '../../../functions/domain/incoming-call.js';
import type { AnswerOutcome, LifecycleSettings } from '../../../functions/domain/signals.js';

export const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';
export const T0 = '2026-01-01T00:00:00.000Z';

/** T0 plus `s` seconds, as an ISO string. */
export const at = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();

export function lifecycleSettings(overrides: Partial<LifecycleSettings> = {}): LifecycleSettings {
  return {
    establishTimeoutMs: 60_000, keepAliveIntervalMs: 900_000, watchdogIntervalMs: 300_000,
    answerWaitTimeoutMs: 30_000, recordingConfirmTimeoutMs: 30_000, maxEventsPerExecution: 300, ...overrides,
  };
}

/** Alice's incoming call, answered on worker `w-a` (session `s1`) under the default fail-open policy. */
export function answeredCall(): AnswerOutcome {
  const incoming = callSchema.parse({
    state: 'incoming', direction: 'Incoming', callChainId: 'chain-1', tenantId: TENANT, myParticipantId: 'bot-p',
    source: { id: 'p-user', identity: { user: { id: 'D4E5F6A7-0000-4000-8000-0000000000AA', displayName: 'Alice' } } },
    incomingContext: { observedParticipantId: 'p-user', sourceParticipantId: 'p-user' },
  });
  return {
    outcome: 'answered', call: summarizeIncomingCall('call-1', TENANT, incoming),
    policy: { source: 'default', region: 'eu', retentionClass: 'standard', resiliency: 'failOpen', record: true },
    workerId: 'w-a', sessionId: 's1', receivedAt: T0, answeredAt: T0, answerLatencyMs: 12,
  };
}
