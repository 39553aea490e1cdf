// A lost media-worker that nothing replaces (one worker, no alternates): the orchestration notices the missing
// heartbeats (durable timer) and shows it in its custom status; the call ends; finalize still runs, and the leg is
// marked incomplete with the reason (never silently sealed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingParts, startRecorderStack, toneCall, type RecorderStack } from './helpers/recorder-stack.js';

const missing = missingParts();
let stack: RecorderStack;

beforeAll(async () => {
  if (missing.length > 0) return;
  stack = await startRecorderStack({
    settings: { RECORDER_WORKER_HEARTBEAT_TIMEOUT_MS: '3000', RECORDER_WATCHDOG_INTERVAL_MS: '5000' },
    workerEnv: { MEDIA_WORKER_EVENT_HEARTBEAT_MS: '1000' },
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

interface Live { recordingStatus: string; workerId: string | null; worker?: { lostSince: string | null } }
interface Leg { callId: string; integrity: string; customData: Record<string, string>; seal: unknown }

describe.skipIf(missing.length > 0)('a lost worker nothing replaces (e2e)', () => {
  it('shows the worker lost, finalizes the call, and marks the leg incomplete with the reason', async () => {
    const started = await stack.startCall(toneCall({ durationMs: 16_000 }));
    const legId = started.legs[0]?.id ?? '';
    await stack.waitForOrchestration(legId, (s) => (s.customStatus as Live | null)?.recordingStatus === 'recording', 90_000);
    await new Promise((r) => setTimeout(r, 1000));
    await stack.worker.kill();
    const lost = await stack.waitForOrchestration(legId, (s) => Boolean((s.customStatus as Live | null)?.worker?.lostSince), 60_000);
    expect((lost.customStatus as Live).workerId).toBe('worker-1');

    const done = await stack.waitForOrchestration(legId, (s) => ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus), 180_000);
    expect(done.runtimeStatus).toBe('Completed');
    const out = done.output as { lifecycle: string; conversationId: string };
    expect(out.lifecycle).toBe('finalized');
    const doc = await stack.conversation(out.conversationId);
    const leg = ((doc?.legs ?? []) as Leg[]).find((l) => l.callId === legId);
    expect(leg?.integrity).toBe('incomplete');
    expect(leg?.seal).toBeNull();
    expect(leg?.customData.incompleteReason).toMatch(/media-worker worker-1 was lost .* no other worker adopted the session/);
  }, 300_000);
});
