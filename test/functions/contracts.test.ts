import { describe, expect, it } from 'vitest';
import {
  answerBodySchema, callSchema, commsNotificationsSchema, parseCallResource, parseMri, participantSchema,
  resultInfoSchema, updateRecordingStatusBodySchema, flattenIdentitySet, commsOperationSchema, isOperationSuccess,
} from '../../contracts/graph/index.js';

const CALL_ID = '3a1f0500-1111-4a2b-8c3d-000000000001';

describe('commsNotifications envelope', () => {
  it('parses the documented incoming call with botData and normalises casing', () => {
    const parsed = commsNotificationsSchema.parse({
      '@odata.type': '#microsoft.graph.commsNotifications',
      value: [{
        changeType: 'Created',
        resource: `/app/calls/${CALL_ID}`,
        resourceData: {
          '@odata.type': '#microsoft.graph.call', state: 'Incoming', direction: 'Incoming', extraField: 1,
          applicationMetadata: { botData: { inviteReasons: ['ComplianceRecording'] } },
        },
      }],
    });
    expect(parsed.value[0]?.changeType).toBe('created');
    const call = callSchema.parse(parsed.value[0]?.resourceData);
    expect(call.state).toBe('incoming');
    expect(call.direction).toBe('incoming');
    expect((call as Record<string, unknown>).extraField).toBe(1);
    expect(call.applicationMetadata?.botData?.inviteReasons).toEqual(['ComplianceRecording']);
  });

  it('keeps unknown enum values instead of failing', () => {
    expect(callSchema.parse({ state: 'parked' }).state).toBe('parked');
  });

  it('falls back when botData is malformed', () => {
    const call = callSchema.parse({ state: 'incoming', applicationMetadata: { botData: { inviteReasons: 'nope' } } });
    expect(call.state).toBe('incoming');
    expect(call.applicationMetadata?.botData).toBeUndefined();
  });

  it('rejects an empty batch, unknown changeType and non-call resources with a reason', () => {
    expect(commsNotificationsSchema.safeParse({ value: [] }).success).toBe(false);
    const bad = commsNotificationsSchema.safeParse({ value: [{ changeType: 'exploded', resourceUrl: `/communications/calls/${CALL_ID}` }] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('expected one of');
    const notCall = commsNotificationsSchema.safeParse({ value: [{ changeType: 'updated', resourceUrl: '/users/x' }] });
    expect(notCall.success).toBe(false);
    const traversal = commsNotificationsSchema.safeParse({ value: [{ changeType: 'updated', resourceUrl: '/communications/calls/../x' }] });
    expect(traversal.success).toBe(false);
  });
});

describe('resource urls and identities', () => {
  it('splits call resource urls', () => {
    expect(parseCallResource(`/communications/calls/${CALL_ID}/participants`)).toEqual({ callId: CALL_ID, subPath: '/participants' });
    expect(parseCallResource(`/app/calls/${CALL_ID}`)).toEqual({ callId: CALL_ID, subPath: '' });
    expect(parseCallResource('/communications/calls/')).toBeNull();
  });

  it('parses MRIs', () => {
    expect(parseMri('8:orgid:F6A7B8C9-0000-4000-8000-0000000000CC')).toEqual({ kind: 'teamsUser', objectId: 'f6a7b8c9-0000-4000-8000-0000000000cc' });
    expect(parseMri('4:+4930123456')).toEqual({ kind: 'pstn', phoneNumber: '+4930123456' });
    expect(parseMri('28:bot')).toEqual({ kind: 'other', raw: '28:bot' });
  });

  it('flattens identity sets', () => {
    expect(flattenIdentitySet({ phone: { id: '+4930123456' } })).toEqual({ phoneNumber: '+4930123456' });
    expect(flattenIdentitySet({ user: { id: 'ABC', displayName: 'A' } })).toEqual({ userId: 'abc', displayName: 'A' });
  });
});

describe('resultInfo and participants', () => {
  it('accepts codes as numbers or strings', () => {
    expect(resultInfoSchema.parse({ code: '200', subcode: 4097 })).toMatchObject({ code: 200, subcode: 4097 });
    expect(resultInfoSchema.safeParse({ code: 'two hundred' }).success).toBe(false);
  });

  it('parses a roster participant with numeric sourceId', () => {
    const p = participantSchema.parse({ id: 'p1', mediaStreams: [{ mediaType: 'Audio', sourceId: 5 }], isInLobby: false });
    expect(p.mediaStreams?.[0]).toMatchObject({ mediaType: 'audio', sourceId: '5' });
    expect(participantSchema.safeParse({ info: {} }).success).toBe(false);
  });

  it('treats only completed operations as success', () => {
    expect(isOperationSuccess(commsOperationSchema.parse({ status: 'Completed' }))).toBe(true);
    expect(isOperationSuccess(commsOperationSchema.parse({ status: 'running' }))).toBe(false);
  });
});

describe('outbound bodies are strict', () => {
  it('validates answer and updateRecordingStatus', () => {
    const ok = answerBodySchema.safeParse({
      callbackUri: 'https://x.example/api/calling/notifications/w1/c1', acceptedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: 'abc' },
    });
    expect(ok.success).toBe(true);
    expect(answerBodySchema.safeParse({ acceptedModalities: ['audio'] }).success).toBe(false);
    expect(updateRecordingStatusBodySchema.safeParse({ clientContext: 'c', status: 'recording' }).success).toBe(true);
    expect(updateRecordingStatusBodySchema.safeParse({ clientContext: 'c', status: 'Recording' }).success).toBe(false);
    expect(updateRecordingStatusBodySchema.safeParse({ clientContext: 'x'.repeat(257), status: 'failed' }).success).toBe(false);
  });
});
