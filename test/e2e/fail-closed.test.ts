// A fail-closed policy: when Graph refuses updateRecordingStatus(recording), the recorder reports failed, stores
// nothing and ends the call (DELETE), so the recorded user's call does not continue unrecorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingParts, startRecorderStack, toneCall, type RecorderStack } from './helpers/recorder-stack.js';

const missing = missingParts();
let stack: RecorderStack;

beforeAll(async () => {
  if (missing.length > 0) return;
  const policies = { default: { region: 'emea', retentionClass: 'mifid', resiliency: 'failClosed' }, tenants: [] };
  stack = await startRecorderStack({ settings: { POLICIES_JSON: JSON.stringify(policies), RECORDER_WATCHDOG_INTERVAL_MS: '3000' } });
});

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(missing.length > 0)('fail-closed policy', () => {
  it('hangs up when recording cannot be confirmed, stores no media and shows failed', async () => {
    const started = await stack.startCall(toneCall({ durationMs: 30_000, faults: { refuseStatusUpdate: true } }));
    const legId = started.legs[0]?.id ?? '';
    const done = await stack.waitForOrchestration(legId, (s) => ['Completed', 'Failed'].includes(s.runtimeStatus), 60_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toMatchObject({ lifecycle: 'failed', recordingStatus: 'failed' });
    // ended well before the scenario's 30 s: the recorder hung up
    const sim = await stack.waitForSim(started.id, (c) => c.state === 'ended', 20_000);
    expect(sim.users[0]?.recording).not.toBe('recording');
    expect(sim.users[0]?.call).not.toBe('connected');
    const pcm = (await stack.blobNames()).filter((n) => n.includes(`/${legId}/`) && n.endsWith('.pcm'));
    expect(pcm).toEqual([]);
    const out = done.output as { conversationId: string; callJsonBlob: string };
    expect(out.callJsonBlob.startsWith(`emea/${stack.tenantId}/`)).toBe(true);
    const doc = await stack.conversation(out.conversationId);
    expect(doc).toMatchObject({ region: 'emea', integrity: 'failed', policy: { resiliency: 'failClosed', retentionClass: 'mifid' } });
  });
});
