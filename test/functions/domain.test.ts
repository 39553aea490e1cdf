import { describe, expect, it } from 'vitest';
import { commsNotificationsSchema } from '../../contracts/graph/index.js';
import { classifyNotification, NotificationShapeError } from '../../functions/domain/classify.js';
import { applyCallState, initialCallState, isEnded } from '../../functions/domain/call-state.js';
import { advanceLifecycle } from '../../functions/domain/lifecycle.js';
import { DEFAULT_POLICIES, parsePolicies, resolvePolicy } from '../../functions/domain/policy.js';
import { applyRoster, closeRoster, emptyRoster } from '../../functions/domain/roster.js';
import { conversationIdOf, mergeLeg, type LegRecord } from '../../functions/domain/call-document.js';
import { parseWorkerUrls, rankWorkers } from '../../functions/domain/worker-choice.js';

const CALL = '3a1f0500-1111-4a2b-8c3d-000000000001';
const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';

function note(n: Record<string, unknown>) {
  const parsed = commsNotificationsSchema.parse({ value: [n] }).value[0];
  if (!parsed) throw new Error('no notification');
  return classifyNotification(parsed);
}

describe('classifyNotification', () => {
  it('recognises incoming calls, state changes, rosters, operations and unknowns', () => {
    expect(note({ changeType: 'created', resourceUrl: `/communications/calls/${CALL}`, resourceData: { state: 'incoming', id: CALL } }).kind).toBe('incomingCall');
    const st = note({ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}`, resourceData: { state: 'Established' } });
    expect(st).toMatchObject({ kind: 'callState', state: 'established', deleted: false });
    const del = note({ changeType: 'deleted', resourceUrl: `/communications/calls/${CALL}`, resourceData: { state: 'terminated', resultInfo: { code: '200', subcode: '4097' } } });
    expect(del).toMatchObject({ kind: 'callState', state: 'terminated', deleted: true, resultInfo: { code: 200, subcode: 4097 } });
    const roster = note({ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}/participants`, resourceData: [{ id: 'p1' }, { id: 'p2' }] });
    expect(roster).toMatchObject({ kind: 'roster', delta: false });
    const op = note({ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}/operations/op-1`, resourceData: { status: 'failed', resultInfo: { code: 403 } } });
    expect(op).toMatchObject({ kind: 'operation', operationId: 'op-1', operation: { status: 'failed' } });
    expect(note({ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}/contentsharingsessions/x`, resourceData: {} }).kind).toBe('unknown');
  });

  it('gives redelivered notifications the same dedup id and different content a different one', () => {
    const a = note({ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}`, resourceData: { state: 'established', x: { b: 1, a: 2 } } });
    const b = note({ changeType: 'updated', resource: `/app/calls/${CALL}`, resourceData: { x: { a: 2, b: 1 }, state: 'established' } });
    const c = note({ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}`, resourceData: { state: 'terminating' } });
    expect(a.dedupId).toBe(b.dedupId);
    expect(a.dedupId).not.toBe(c.dedupId);
  });

  it('refuses a call id mismatch and a malformed roster with a reason', () => {
    expect(() => note({ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}`, resourceData: { id: 'other', state: 'established' } })).toThrow(NotificationShapeError);
    expect(() => note({ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}/participants`, resourceData: [{ noId: true }] })).toThrow(/invalid roster/);
  });
});

describe('call state machine', () => {
  it('is monotonic, absorbs out-of-order establishing, ignores duplicates, terminal wins', () => {
    let v = initialCallState();
    let r = applyCallState(v, { dedupId: 'a', state: 'established' });
    expect(r.applied).toBe(true);
    v = r.view;
    r = applyCallState(v, { dedupId: 'b', state: 'establishing' });
    expect(r).toMatchObject({ applied: false, reason: 'regression' });
    v = r.view;
    expect(v.state).toBe('established');
    expect(v.everEstablished).toBe(true);
    r = applyCallState(v, { dedupId: 'b', state: 'establishing' });
    expect(r).toMatchObject({ applied: false, reason: 'duplicate' });
    r = applyCallState(v, { dedupId: 'c', state: 'terminated', deleted: true, resultInfo: { code: 200, subcode: 4097 } });
    v = r.view;
    expect(isEnded(v)).toBe(true);
    expect(v.terminatedReason).toEqual({ code: 200, subcode: 4097 });
    r = applyCallState(v, { dedupId: 'd', state: 'established' });
    expect(r).toMatchObject({ applied: false, reason: 'alreadyTerminal' });
    expect(r.view.state).toBe('terminated');
  });

  it('records establishing-then-terminated without ever being established', () => {
    let v = applyCallState(initialCallState(), { dedupId: '1', state: 'establishing' }).view;
    v = applyCallState(v, { dedupId: '2', state: 'terminated' }).view;
    expect(v.state).toBe('terminated');
    expect(v.everEstablished).toBe(false);
  });
});

describe('lifecycle', () => {
  it('moves forward only; failed and finalized are terminal', () => {
    expect(advanceLifecycle('answered', 'established')).toBe('established');
    expect(advanceLifecycle('recording', 'established')).toBe('recording');
    expect(advanceLifecycle('recording', 'failed')).toBe('failed');
    expect(advanceLifecycle('failed', 'finalized')).toBe('failed');
    expect(advanceLifecycle('finalized', 'failed')).toBe('finalized');
  });
});

describe('policy resolution', () => {
  const policies = parsePolicies(JSON.stringify({
    default: { region: 'eu', retentionClass: 'standard', resiliency: 'failOpen' },
    tenants: [{ tenantId: TENANT.toUpperCase(), region: 'us', resiliency: 'failClosed',
      users: [{ userId: 'd4e5f6a7-0000-4000-8000-0000000000aa', retentionClass: 'mifid-7y' }] }],
  }));
  it('picks user over tenant over default', () => {
    expect(resolvePolicy(policies, 'bbbbbbbb-1111-2222-3333-444444444444')).toMatchObject({ source: 'default', region: 'eu', resiliency: 'failOpen', record: true });
    expect(resolvePolicy(policies, TENANT)).toMatchObject({ region: 'us', resiliency: 'failClosed', retentionClass: 'standard' });
    expect(resolvePolicy(policies, TENANT, 'D4E5F6A7-0000-4000-8000-0000000000AA')).toMatchObject({ region: 'us', retentionClass: 'mifid-7y', source: expect.stringMatching(/^user:/) });
    expect(resolvePolicy(DEFAULT_POLICIES, TENANT).source).toBe('default');
  });
  it('refuses bad policy documents with a reason', () => {
    expect(() => parsePolicies('{')).toThrow(/not valid JSON/);
    expect(() => parsePolicies(JSON.stringify({ default: { region: 'eu', retentionClass: 's', resiliency: 'maybe' } }))).toThrow(/resiliency/);
  });
});

describe('roster', () => {
  const p = (id: string, sourceId?: string, extra: Record<string, unknown> = {}) => ({
    id, info: { identity: { user: { id: `user-${id}` } } },
    mediaStreams: sourceId ? [{ mediaType: 'audio', sourceId }] : [], ...extra,
  });
  it('builds the timeline and speaker map, keeps mappings after leave, skips lobby and bot', () => {
    let s = applyRoster(emptyRoster(), { participants: [p('a', '5'), p('bot', '1'), p('c', '9', { isInLobby: true })], delta: false, sequenceNumber: null, at: 't1', botParticipantId: 'bot' }).state;
    expect(s.speakerMap).toEqual({ '5': 'a' });
    s = applyRoster(s, { participants: [p('b', '7'), p('c', '9')], delta: false, sequenceNumber: null, at: 't2', botParticipantId: 'bot' }).state;
    expect(s.speakerMap).toEqual({ '5': 'a', '7': 'b', '9': 'c' });
    expect(s.participants.a?.intervals).toEqual([{ joinedAt: 't1', leftAt: 't2' }]);
    s = applyRoster(s, { participants: [p('a', '5')], delta: true, sequenceNumber: null, at: 't3' }).state;
    expect(s.participants.a?.intervals).toEqual([{ joinedAt: 't1', leftAt: 't2' }, { joinedAt: 't3', leftAt: null }]);
    expect(s.participants.b?.intervals[0]?.leftAt).toBeNull();
    const closed = closeRoster(s, 't9');
    expect(closed.participants.b?.intervals[0]?.leftAt).toBe('t9');
  });
  it('drops stale delta rosters and handles removedState', () => {
    let s = applyRoster(emptyRoster(), { participants: [p('a', '5')], delta: true, sequenceNumber: 5, at: 't1' }).state;
    const stale = applyRoster(s, { participants: [p('b', '6')], delta: true, sequenceNumber: 4, at: 't2' });
    expect(stale.applied).toBe(false);
    s = applyRoster(s, { participants: [p('a', '5', { removedState: { reason: 'left' } })], delta: true, sequenceNumber: 6, at: 't3' }).state;
    expect(s.participants.a).toMatchObject({ removedReason: 'left', intervals: [{ joinedAt: 't1', leftAt: 't3' }] });
    expect(s.speakerMap['5']).toBe('a');
  });
});

describe('conversation document (legs grouped by callChainId)', () => {
  const leg = (callId: string, over: Partial<LegRecord> = {}): LegRecord => ({
    callId, tenantId: TENANT, callChainId: 'CHAIN-1', direction: 'incoming',
    recordedUser: { userId: 'u1' }, otherSide: { phoneNumber: '+4930123456' }, workerId: 'w1', sessionId: 's',
    answeredAt: '2026-01-01T00:00:01Z', establishedAt: '2026-01-01T00:00:02Z', endedAt: '2026-01-01T00:01:00Z',
    lifecycle: 'finalized', recordingStatus: 'recording', terminatedReason: null, failureReason: null,
    policy: { source: 'default', region: 'eu', retentionClass: 'standard', resiliency: 'failOpen', record: true },
    participants: [], speakerMap: {}, integrity: 'sealed', seal: null, customData: {}, ...over,
  });
  it('merges legs idempotently and keeps the worst integrity', () => {
    let doc = mergeLeg(null, leg('c1'));
    expect(doc.id).toBe('chain-1');
    expect(conversationIdOf({ callChainId: null, callId: 'X' })).toBe('x');
    doc = mergeLeg(doc, leg('c2', { answeredAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:03Z', integrity: 'incomplete' }));
    doc = mergeLeg(doc, leg('c2', { answeredAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:03Z', integrity: 'incomplete' }));
    expect(doc.legs.map((l) => l.callId)).toEqual(['c2', 'c1']);
    expect(doc.startedAt).toBe('2026-01-01T00:00:00Z');
    expect(doc.endedAt).toBe('2026-01-01T00:01:00Z');
    expect(doc.integrity).toBe('incomplete');
    expect(doc.userIds).toEqual(['u1']);
    expect(doc.phoneNumbers).toEqual(['+4930123456']);
  });
});

describe('worker choice', () => {
  it('parses MEDIA_WORKER_URLS and prefers healthy, least-loaded workers', () => {
    expect(parseWorkerUrls('w1=http://127.0.0.1:1/, w2=http://127.0.0.1:2')).toEqual([
      { workerId: 'w1', controlUrl: 'http://127.0.0.1:1' }, { workerId: 'w2', controlUrl: 'http://127.0.0.1:2' }]);
    expect(() => parseWorkerUrls('nourl')).toThrow(/workerId=url/);
    const ranked = rankWorkers([
      { workerId: 'a', controlUrl: 'x', healthy: false, calls: 0, bufferBytes: 0 },
      { workerId: 'b', controlUrl: 'x', healthy: true, calls: 3, bufferBytes: 0 },
      { workerId: 'c', controlUrl: 'x', healthy: true, calls: 1, bufferBytes: 0 },
    ]);
    expect(ranked.map((w) => w.workerId)).toEqual(['c', 'b', 'a']);
  });
});
