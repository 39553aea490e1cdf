// End to end against the real parts: simulator (Teams/Graph + bridge), media-worker, local host running the app,
// Azurite, cosmosdb-server. A simulated call is answered, recording confirmed, media stored, the call finalized.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

interface Leg { callId: string; integrity: string; recordingStatus: string; lifecycle: string; seal: { manifestBlob: string | null } | null; participants: unknown[]; workerId: string }

describe.skipIf(missing.length > 0)('recorded call, end to end', () => {
  it('answers, confirms recording, stores media equal to the ground truth and writes the call document', async () => {
    const started = await stack.startCall(toneCall());
    const legId = started.legs[0]?.id ?? '';
    expect(legId).not.toBe('');

    const ended = await stack.waitForSim(started.id, (c) => c.state === 'ended' && Object.keys(c.groundTruth).length > 0, 90_000);
    expect(ended.legs[0]?.outcome).toBe('answered');
    expect(ended.legs[0]?.answerLatencyMs ?? 99_999).toBeLessThan(5_000);
    expect(ended.users[0]?.recording).toBe('recording');

    const done = await stack.waitForOrchestration(legId, (s) => s.runtimeStatus === 'Completed' || s.runtimeStatus === 'Failed');
    expect(done.runtimeStatus).toBe('Completed');
    const output = done.output as { lifecycle: string; conversationId: string; callJsonBlob: string; recordingStatus: string };
    expect(output).toMatchObject({ lifecycle: 'finalized', recordingStatus: 'recording' });
    expect((done.customStatus as { lifecycle: string }).lifecycle).toBe('finalized');

    const doc = await stack.conversation(output.conversationId);
    expect(doc).not.toBeNull();
    const legs = (doc?.legs ?? []) as Leg[];
    const leg = legs.find((l) => l.callId === legId);
    expect(leg).toMatchObject({ integrity: 'sealed', recordingStatus: 'recording', lifecycle: 'finalized' });
    expect(doc?.phoneNumbers).toEqual(['+49301234567']);
    expect((doc?.userIds as string[]).length).toBeGreaterThan(0);

    const callJson = JSON.parse((await stack.readBlob(output.callJsonBlob)).toString('utf8')) as { leg: Leg };
    expect(callJson.leg.callId).toBe(legId);
    const manifest = leg?.seal?.manifestBlob ?? '';
    expect(manifest).toMatch(/manifest\.json$/);
    expect(output.callJsonBlob).toBe(manifest.replace(/manifest\.json$/, 'call.json'));

    const truth = ended.groundTruth[legId]?.streams ?? [];
    expect(truth.length).toBeGreaterThan(0);
    const stored = await stack.streamHashes(manifest.replace(/manifest\.json$/, ''));
    for (const s of truth) expect({ streamId: s.streamId, sha256: stored[s.streamId] }).toEqual({ streamId: s.streamId, sha256: s.sha256 });
  });
});
