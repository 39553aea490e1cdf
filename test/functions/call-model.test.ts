import { describe, expect, it } from 'vitest';
import { callSchema } from '../../contracts/graph/index.js';
import { applyCallState } from '../../functions/domain/call-state.js';
import {
  buildLeg, dueWork, keepAliveDone, markSeen, newCallModel, nextDeadline, recordingClientContext, shouldStartRecording, workerRosterUpdate,
} from '../../functions/domain/call-model.js';
import { summarizeIncomingCall } from '../../functions/domain/incoming-call.js';
import { applyRoster } from '../../functions/domain/roster.js';
import type { AnswerOutcome, LifecycleSettings } from '../../functions/domain/signals.js';
import { loadConfig } from '../../functions/config.js';

const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';
const settings: LifecycleSettings = {
  establishTimeoutMs: 60_000, keepAliveIntervalMs: 900_000, watchdogIntervalMs: 300_000,
  answerWaitTimeoutMs: 30_000, recordingConfirmTimeoutMs: 30_000, maxEventsPerExecution: 300,
};
const T0 = '2026-01-01T00:00:00.000Z';

const incoming = callSchema.parse({
  state: 'incoming', direction: 'Incoming', callChainId: 'chain-1', tenantId: TENANT, myParticipantId: 'bot-p',
  source: { id: 'p-user', identity: { user: { id: 'D4E5F6A7-0000-4000-8000-0000000000AA', displayName: 'Alice' } } },
  incomingContext: { observedParticipantId: 'p-user', sourceParticipantId: 'p-user' },
  applicationMetadata: { botData: {
    policyIdentifier: 'TeamsComplianceRecordingPolicy=Tenant:Traders', mediaHostedRegion: 'EUWE',
    user: { participationMethod: 'callee' },
    otherSideUser: { id: '4:+4930123456', tenantId: '00000000-0000-0000-0000-000000000000', participationMethod: 'caller' },
  } },
});

function answered(): AnswerOutcome {
  return {
    outcome: 'answered', call: summarizeIncomingCall('call-1', TENANT, incoming),
    policy: { source: 'default', region: 'eu', retentionClass: 'standard', resiliency: 'failClosed', record: true },
    workerId: 'w1', sessionId: 's1', receivedAt: T0, answeredAt: T0, answerLatencyMs: 12,
  };
}

describe('incoming call summary', () => {
  it('takes the recorded user from source/observed participant and the far side from botData MRIs', () => {
    const s = summarizeIncomingCall('call-1', TENANT, incoming);
    expect(s.recordedUser).toMatchObject({ userId: 'd4e5f6a7-0000-4000-8000-0000000000aa', participantId: 'p-user', participationMethod: 'callee', displayName: 'Alice' });
    expect(s.otherSide).toEqual({ phoneNumber: '+4930123456', participationMethod: 'caller' });
    expect(s).toMatchObject({ direction: 'incoming', callChainId: 'chain-1', policyIdentifier: 'TeamsComplianceRecordingPolicy=Tenant:Traders' });
  });
});

describe('call model', () => {
  it('schedules the establish timeout, watchdog and keepAlive, earliest first', () => {
    const m = newCallModel('call-1', answered(), settings, T0);
    expect(nextDeadline(m)).toBe('2026-01-01T00:01:00.000Z');
    expect(dueWork(m, '2026-01-01T00:01:00.000Z')).toEqual(['establishTimeout']);
    m.callState = applyCallState(m.callState, { dedupId: 'x', state: 'established' }).view;
    expect(nextDeadline(m)).toBe('2026-01-01T00:05:00.000Z');
    expect(dueWork(m, '2026-01-01T00:15:00.000Z')).toEqual(['watchdog', 'keepAlive']);
    keepAliveDone(m, '2026-01-01T00:15:00.000Z');
    m.lastNotificationAt = '2026-01-01T00:14:00.000Z';
    expect(nextDeadline(m)).toBe('2026-01-01T00:19:00.000Z');
  });

  it('asks for recording only when media flows on an established call and nothing is pending', () => {
    const m = newCallModel('call-1', answered(), settings, T0);
    m.mediaFlowing = true;
    expect(shouldStartRecording(m)).toBe(false);
    m.callState = applyCallState(m.callState, { dedupId: 'a', state: 'established' }).view;
    expect(shouldStartRecording(m)).toBe(true);
    m.pendingRecordingOp = { clientContext: 'c', operationId: null, since: T0 };
    expect(shouldStartRecording(m)).toBe(false);
    m.pendingRecordingOp = null;
    m.recording = 'failed';
    expect(shouldStartRecording(m)).toBe(false);
    const declined = newCallModel('call-2', { ...answered(), policy: { ...answered().policy, record: false } } as AnswerOutcome, settings, T0);
    declined.mediaFlowing = true;
    declined.callState = m.callState;
    expect(shouldStartRecording(declined)).toBe(false);
  });

  it('dedups signals and bounds client contexts', () => {
    const m = newCallModel('call-1', answered(), settings, T0);
    expect(markSeen(m, 'a')).toBe(true);
    expect(markSeen(m, 'a')).toBe(false);
    expect(recordingClientContext('x'.repeat(300), 'recording', 1)).toHaveLength(256);
  });

  it('builds the worker roster and the final leg record', () => {
    const m = newCallModel('call-1', answered(), settings, T0);
    m.roster = applyRoster(m.roster, {
      participants: [
        { id: 'p-user', info: { identity: { user: { id: 'u1' } } }, mediaStreams: [{ mediaType: 'audio', sourceId: '5' }] },
        { id: 'p-pstn', info: { identity: { phone: { id: '+4930123456' } } }, mediaStreams: [{ mediaType: 'audio', sourceId: '7' }] },
        { id: 'bot-p', mediaStreams: [{ mediaType: 'audio', sourceId: '1' }] },
      ],
      delta: false, sequenceNumber: null, at: T0, botParticipantId: 'bot-p',
    }).state;
    const update = workerRosterUpdate(m);
    expect(update.speakerMap).toEqual({ '5': 'p-user', '7': 'p-pstn' });
    expect(update.participants.find((p) => p.participantId === 'p-user')).toMatchObject({ role: 'recordedUser', userId: 'u1', sourceIds: ['5'] });
    expect(update.participants.find((p) => p.participantId === 'p-pstn')).toMatchObject({ role: 'participant', phone: '+4930123456' });
    m.recording = 'recording';
    const leg = buildLeg(m, '2026-01-01T00:02:00.000Z', {
      sessionId: 's1', callId: 'call-1', state: 'sealed', manifestBlob: 'eu/t/2026/01/01/call-1/manifest.json', streams: [], gaps: [], nothingRecorded: false,
    });
    expect(leg).toMatchObject({ integrity: 'sealed', lifecycle: 'finalized', recordingStatus: 'recording', callChainId: 'chain-1', endedAt: '2026-01-01T00:02:00.000Z' });
    expect(leg.participants.every((p) => p.intervals.every((i) => i.leftAt !== null))).toBe(true);
    expect(leg.customData).toEqual({ policyIdentifier: 'TeamsComplianceRecordingPolicy=Tenant:Traders', mediaHostedRegion: 'EUWE' });
    m.recording = 'failed';
    m.lifecycle = 'failed';
    expect(buildLeg(m, T0, null)).toMatchObject({ integrity: 'failed', lifecycle: 'failed' });
  });
});

describe('config', () => {
  const base = {
    BOT_APP_ID: 'app', BOT_APP_SECRET: 'secret', GRAPH_BASE_URL: 'https://127.0.0.1:7090/v1.0/', GRAPH_AUTHORITY_HOST: 'https://127.0.0.1:7090',
    GRAPH_NOTIFICATION_OPENID_URL: 'https://127.0.0.1:7090/openid', ALLOWED_TENANT_IDS: `${TENANT.toUpperCase()}, `, CALLBACK_BASE_URL: 'http://127.0.0.1:7071/api/',
    BLOB_CONNECTION_STRING: 'UseDevelopmentStorage=true', COSMOS_ENDPOINT: 'https://127.0.0.1:8081', COSMOS_KEY: 'k',
    MEDIA_WORKER_URLS: 'w1=http://127.0.0.1:7081', WORKER_SHARED_KEY: 'key-123456',
  };
  it('reads and normalises the environment once', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ graphBaseUrl: 'https://127.0.0.1:7090/v1.0', callbackBaseUrl: 'http://127.0.0.1:7071/api', allowedTenantIds: [TENANT], recordingsContainer: 'recordings' });
    expect(c.lifecycle.keepAliveIntervalMs).toBe(900_000);
    expect(c.policies.default.resiliency).toBe('failOpen');
  });
  it('fails with the names of what is missing or invalid', () => {
    expect(() => loadConfig({ ...base, BOT_APP_ID: undefined })).toThrow(/BOT_APP_ID/);
    expect(() => loadConfig({ ...base, MEDIA_WORKER_URLS: 'oops' })).toThrow(/workerId=url/);
    expect(() => loadConfig({ ...base, POLICIES_JSON: '{"default":{}}' })).toThrow(/invalid policies/);
    expect(() => loadConfig({ ...base, BLOB_CONNECTION_STRING: undefined })).toThrow(/BLOB_CONNECTION_STRING or BLOB_ACCOUNT_URL/);
  });
});
