// The orchestration continues as new after every 3 signals here (a 10 s call brings many executions): a recorded
// call must still be answered, recorded byte-exact and finalized with state carried across executions. Before the
// drain at continueAsNew (functions/README.md, "Events at continueAsNew") a signal in the same history batch, or one
// buffered while no wait was open, was dropped with the old execution: with every 3 signals about 1 run in 5 lost
// `mediaFlowing` and never confirmed recording. The deterministic reproduction is test/functions/continue-as-new-signals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingParts, startRecorderStack, toneCall, type RecorderStack } from './helpers/recorder-stack.js';

const missing = missingParts();
let stack: RecorderStack;

beforeAll(async () => {
  if (missing.length > 0) return;
  stack = await startRecorderStack({ settings: { RECORDER_WATCHDOG_INTERVAL_MS: '5000', RECORDER_MAX_EVENTS_PER_EXECUTION: '3' } });
});

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(missing.length > 0)('continueAsNew on a long signal stream', () => {
  it('carries the call state over executions and finalizes the recording', async () => {
    // 10 s instead of the default 4 s: with a continueAsNew every 3 signals the recording confirmation takes more
    // episodes, and under a loaded full suite a 4 s call could end before Graph showed the users "recording".
    const started = await stack.startCall(toneCall({ durationMs: 10_000 }));
    const legId = started.legs[0]?.id ?? '';
    const ended = await stack.waitForSim(started.id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length > 0, 90_000);
    expect(ended.users[0]?.recording).toBe('recording');
    const done = await stack.waitForOrchestration(legId, (s) => ['Completed', 'Failed'].includes(s.runtimeStatus), 120_000);
    expect(done.output).toMatchObject({ lifecycle: 'finalized', recordingStatus: 'recording' });
    const out = done.output as { conversationId: string };
    const doc = await stack.conversation(out.conversationId);
    const leg = (doc?.legs as { callId: string; integrity: string; seal: { manifestBlob: string } | null; participants: unknown[] }[]).find((l) => l.callId === legId);
    expect(leg?.integrity).toBe('sealed');
    expect(leg?.participants.length).toBeGreaterThanOrEqual(2);
    const stored = await stack.streamHashes((leg?.seal?.manifestBlob ?? '').replace(/manifest\.json$/, ''));
    const truth = ended.groundTruth[legId]?.streams ?? [];
    expect(truth.length).toBeGreaterThan(0);
    for (const s of truth) expect(stored[s.streamId]).toBe(s.sha256);
  }, 240_000);
});
