// An incoming-call notification redelivered to another instance of the app (Graph retries, or the first instance's
// reply was lost) must not disturb the call the first instance answered: the worker's reserve is idempotent per call
// (`created: false`), Graph refuses a second answer, and the second instance then neither rejects the call nor releases
// the shared session nor starts anything. The recording goes on and finalizes as usual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call } from '../../contracts/graph/index.js';
import { loadConfig } from '../../functions/config.js';
import { createDependencies } from '../../functions/deps.js';
import { Logger } from '../../functions/log.js';
import { missingParts, startRecorderStack, toneCall, type RecorderStack } from './helpers/recorder-stack.js';

const missing = missingParts();
let stack: RecorderStack;

beforeAll(async () => {
  if (missing.length > 0) return;
  stack = await startRecorderStack({ settings: { RECORDER_WATCHDOG_INTERVAL_MS: '60000' } });
});

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(missing.length > 0)('redelivered incoming call, another instance', () => {
  it('is recognised as handled elsewhere: no reject, no release, the recording completes', async () => {
    const started = await stack.startCall(toneCall({ durationMs: 8000 }));
    const legId = started.legs[0]?.id ?? '';
    const answered = await stack.waitForSim(started.id, (c) => c.legs[0]?.outcome === 'answered' && c.users[0]?.recording === 'recording', 30_000);
    expect(answered.legs[0]?.state).not.toBe('incoming');

    // A second instance of the app (its own process memory: nothing remembered), with the same configuration.
    const lines: string[] = [];
    const second = createDependencies(loadConfig(stack.appSettings), new Logger({ log: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) }, { app: 'second-instance' }));
    // The invite as Graph sent it: the call resource (same id, chain id, parties) in its incoming state.
    const current = await second.graph.getCall(stack.tenantId, legId);
    expect(current.callChainId).toBeTruthy();
    const invite: Call = { ...current, state: 'incoming' };
    const result = await second.answers.answer(stack.tenantId, legId, invite, new Date(), second.log);
    expect(result.duplicate, lines.join('\n')).toBe(true);
    expect(lines.join('\n')).toContain('handled elsewhere');

    // The call was not rejected or disturbed, and the first instance's recording completes.
    const during = await stack.getSimCall(started.id);
    expect(during.legs[0]?.outcome).toBe('answered');
    expect(during.users[0]?.recording).toBe('recording');
    const done = await stack.waitForOrchestration(legId, (s) => s.runtimeStatus === 'Completed' || s.runtimeStatus === 'Failed', 90_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toMatchObject({ lifecycle: 'finalized', recordingStatus: 'recording' });
  });
});
