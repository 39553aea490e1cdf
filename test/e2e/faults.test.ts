// Delivery faults and refusals against the real parts: duplicates, reordering, Pascal-case enums and string codes;
// a lost terminated notification (the watchdog finalizes); updateRecordingStatus refused (nothing stored, users see
// failed); a forged token or a bad body (401/400, nothing stored).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingParts, startRecorderStack, toneCall, type RecorderStack } from './helpers/recorder-stack.js';

const missing = missingParts();
let stack: RecorderStack;

beforeAll(async () => {
  if (missing.length > 0) return;
  stack = await startRecorderStack({ settings: { RECORDER_WATCHDOG_INTERVAL_MS: '3000', RECORDER_RECORDING_CONFIRM_TIMEOUT_MS: '3000' } });
});

afterAll(async () => {
  await stack?.stop();
});

interface Output { lifecycle: string; conversationId: string; callJsonBlob: string; recordingStatus: string; failureReason: string | null }
interface Leg { callId: string; integrity: string; recordingStatus: string; customData: Record<string, string>; seal: { manifestBlob: string | null } | null }

async function finished(callId: string) {
  const done = await stack.waitForOrchestration(callId, (s) => ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus), 120_000);
  expect(done.runtimeStatus).toBe('Completed');
  return done.output as Output;
}

async function pcmBlobsOf(callId: string): Promise<string[]> {
  return (await stack.blobNames()).filter((n) => n.includes(`/${callId}/`) && n.endsWith('.pcm'));
}

describe.skipIf(missing.length > 0)('notification faults', () => {
  it('records correctly despite duplicated, reordered, Pascal-cased notifications with string codes', async () => {
    const started = await stack.startCall(toneCall({ faults: { duplicate: true, reorder: true, enumCasing: 'mixed', resultCodesAs: 'string', repeatEstablished: true } }));
    const legId = started.legs[0]?.id ?? '';
    const ended = await stack.waitForSim(started.id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length > 0, 90_000);
    expect(ended.users[0]?.recording).toBe('recording');
    // recording was reported once, not once per duplicate
    expect(ended.users[0]?.history.filter((h) => h.status === 'recording')).toHaveLength(1);
    const out = await finished(legId);
    expect(out).toMatchObject({ lifecycle: 'finalized', recordingStatus: 'recording' });
    const doc = await stack.conversation(out.conversationId);
    const leg = ((doc?.legs ?? []) as Leg[]).find((l) => l.callId === legId);
    expect(leg?.integrity).toBe('sealed');
    const folder = (leg?.seal?.manifestBlob ?? '').replace(/manifest\.json$/, '');
    const stored = await stack.streamHashes(folder);
    for (const s of ended.groundTruth[legId]?.streams ?? []) expect(stored[s.streamId]).toBe(s.sha256);
  });

  it('finalizes through the watchdog when the terminated notification is lost', async () => {
    const started = await stack.startCall(toneCall({ durationMs: 2500, faults: { dropTerminated: true } }));
    const legId = started.legs[0]?.id ?? '';
    await stack.waitForSim(started.id, (c) => c.state === 'ended', 90_000);
    const out = await finished(legId);
    expect(out.lifecycle).toBe('finalized');
    const doc = await stack.conversation(out.conversationId);
    const leg = ((doc?.legs ?? []) as Leg[]).find((l) => l.callId === legId);
    expect(leg?.customData.endedBy).toMatch(/^watchdog/);
    expect(leg?.integrity).toBe('sealed');
  });

  it('stores nothing and shows failed when updateRecordingStatus is refused', async () => {
    const started = await stack.startCall(toneCall({ durationMs: 3000, faults: { refuseStatusUpdate: true } }));
    const legId = started.legs[0]?.id ?? '';
    const ended = await stack.waitForSim(started.id, (c) => c.state === 'ended', 90_000);
    const out = await finished(legId);
    expect(out).toMatchObject({ lifecycle: 'failed', recordingStatus: 'failed' });
    expect(out.failureReason).toMatch(/refused/);
    expect(ended.users[0]?.recording).not.toBe('recording');
    expect(await pcmBlobsOf(legId)).toEqual([]);
    const doc = await stack.conversation(out.conversationId);
    const leg = ((doc?.legs ?? []) as Leg[]).find((l) => l.callId === legId);
    expect(leg).toMatchObject({ integrity: 'failed', recordingStatus: 'failed' });
  });

  it('waits for the asynchronous operation outcome before granting the worker', async () => {
    const started = await stack.startCall(toneCall({ faults: { asyncOperations: true } }));
    const legId = started.legs[0]?.id ?? '';
    const ended = await stack.waitForSim(started.id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length > 0, 90_000);
    const out = await finished(legId);
    expect(out).toMatchObject({ lifecycle: 'finalized', recordingStatus: 'recording' });
    const doc = await stack.conversation(out.conversationId);
    const leg = ((doc?.legs ?? []) as Leg[]).find((l) => l.callId === legId);
    const stored = await stack.streamHashes((leg?.seal?.manifestBlob ?? '').replace(/manifest\.json$/, ''));
    for (const s of ended.groundTruth[legId]?.streams ?? []) expect(stored[s.streamId]).toBe(s.sha256);
  });

  it('asks again when the outcome of updateRecordingStatus is lost, instead of failing a working recording', async () => {
    const started = await stack.startCall(toneCall({ durationMs: 8000, faults: { asyncOperations: true, loseOperationOutcomes: 1 } }));
    const legId = started.legs[0]?.id ?? '';
    const ended = await stack.waitForSim(started.id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length > 0, 90_000);
    const out = await finished(legId);
    expect(out).toMatchObject({ lifecycle: 'finalized', recordingStatus: 'recording', failureReason: null });
    // The first request's outcome never arrived; the second request (3 s later) was confirmed.
    expect(ended.users[0]?.history.filter((h) => h.status === 'recording').length).toBe(2);
    expect(ended.users[0]?.history.some((h) => h.status === 'failed')).toBe(false);
    const doc = await stack.conversation(out.conversationId);
    const leg = ((doc?.legs ?? []) as Leg[]).find((l) => l.callId === legId);
    const stored = await stack.streamHashes((leg?.seal?.manifestBlob ?? '').replace(/manifest\.json$/, ''));
    for (const s of ended.groundTruth[legId]?.streams ?? []) expect(stored[s.streamId]).toBe(s.sha256);
  });
});

describe.skipIf(missing.length > 0)('forged or malformed requests', () => {
  it('answers 401 to a forged or missing token and stores nothing', async () => {
    const started = await stack.startCall(toneCall({ durationMs: 1500, faults: { token: 'forged' } }));
    const legId = started.legs[0]?.id ?? '';
    const ended = await stack.waitForSim(started.id, (c) => c.state === 'ended' || c.deliveries.some((d) => d.status === 401), 60_000);
    const mine = ended.deliveries.filter((d) => d.legId === legId);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((d) => d.status === 401)).toBe(true);
    expect(await stack.orchestrationStatus(legId)).toBeNull();
    expect((await stack.blobNames()).filter((n) => n.includes(legId))).toEqual([]);

    const noToken = await fetch(stack.notificationUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { reason: string }).reason).toMatch(/bearer/);
  });
});
