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

  it('records every leg of a meeting with two recorded users and groups them under one conversation', async () => {
    const started = await stack.startCall(toneCall({
      name: 'e2e-meeting', kind: 'meeting', durationMs: 4000, extraLegs: 1,
      participants: [
        { key: 'alice', kind: 'user', displayName: 'Alice', recorded: true },
        { key: 'bob', kind: 'user', displayName: 'Bob', recorded: true },
        { key: 'carol', kind: 'user', displayName: 'Carol' },
        { key: 'dave', kind: 'pstn', phone: '+4930765432', joinAtMs: 500 },
      ],
      media: { enabled: true, mode: 'mixed', pacing: 'realtime', script: [{ speaker: 'carol', toneHz: 500, ms: 500 }, { speaker: 'alice', toneHz: 700, ms: 500 }] },
    }));
    expect(started.legs.length).toBeGreaterThanOrEqual(2);
    const ended = await stack.waitForSim(started.id, (c) => c.state === 'ended' && c.legs.every((l) => l.state === 'terminated'), 120_000);
    const outputs: { conversationId: string; lifecycle: string }[] = [];
    for (const l of ended.legs) {
      const done = await stack.waitForOrchestration(l.id, (s) => ['Completed', 'Failed'].includes(s.runtimeStatus), 120_000);
      expect(done.runtimeStatus).toBe('Completed');
      outputs.push(done.output as { conversationId: string; lifecycle: string });
    }
    const ids = new Set(outputs.map((o) => o.conversationId));
    expect(ids.size).toBe(1);
    const doc = await stack.conversation([...ids][0] ?? '');
    const legs = (doc?.legs ?? []) as Leg[];
    expect(legs.map((l) => l.callId).sort()).toEqual(ended.legs.map((l) => l.id).sort());
    // the long-lived legs of the two recorded users were recorded and sealed, with the roster attached
    const recorded = legs.filter((l) => l.integrity === 'sealed' && l.recordingStatus === 'recording');
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    expect(recorded.every((l) => l.participants.length >= 3)).toBe(true);
    expect(doc?.phoneNumbers).toContain('+4930765432');
    for (const l of recorded) {
      const truth = ended.groundTruth[l.callId]?.streams ?? [];
      const stored = await stack.streamHashes((l.seal?.manifestBlob ?? '').replace(/manifest\.json$/, ''));
      for (const s of truth) expect(stored[s.streamId]).toBe(s.sha256);
    }
  }, 240_000);
});
