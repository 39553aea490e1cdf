// Session tickets (any worker of the pool can verify them) and the resume-gap classification (pure).
import { describe, expect, it } from 'vitest';
import { deriveTicketKey, issueTicket, verifyTicket, type TicketDescriptor } from '../../media-worker/src/session/session-ticket.js';
import { classifyResumeGap, resumeExpectations } from '../../media-worker/src/session/resume-gaps.js';

const key = deriveTicketKey('test-worker-key-0123456789');
const d: TicketDescriptor = {
  sessionId: 's-1', callId: 'call-1', callChainId: 'chain-1', tenantId: 't-1', region: 'emea',
  createdAt: '2026-11-26T04:00:00.000Z', issuer: 'w-a', issuedAt: '2026-11-26T04:00:00.000Z', expiresAt: '2026-11-26T05:00:00.000Z',
};
const at = new Date('2026-11-26T04:30:00.000Z');

describe('session ticket', () => {
  it('verifies under the same shared key and returns the descriptor', () => {
    const t = issueTicket(d, key);
    expect(verifyTicket(t, deriveTicketKey('test-worker-key-0123456789'), at)).toEqual({ ok: true, descriptor: d });
  });
  it('refuses another key, a changed payload, a truncated MAC and an expired ticket', () => {
    const t = issueTicket(d, key);
    expect(verifyTicket(t, deriveTicketKey('another-key-0123456789'), at)).toMatchObject({ ok: false, reason: 'ticket signature does not verify' });
    const [p, payload, mac] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ ...d, tenantId: 't-2' })).toString('base64url');
    expect(verifyTicket(`${p}.${forged}.${mac}`, key, at).ok).toBe(false);
    expect(verifyTicket(`${p}.${payload}.${(mac ?? '').slice(0, 10)}`, key, at).ok).toBe(false);
    expect(verifyTicket(t, key, new Date('2026-11-26T05:00:00.001Z'))).toMatchObject({ ok: false, reason: 'ticket expired' });
    expect(verifyTicket('random-token-0123456789', key, at)).toMatchObject({ ok: false, reason: 'not a session ticket' });
  });
});

describe('resume gaps', () => {
  it('splits the gap after the durable point into workerLost (acked, not stored) and bridgeDisconnected (shed)', () => {
    const e = resumeExpectations([{ streamId: 'mixed', seq: 100 }], [{ streamId: 'mixed', seq: 150 }], () => '42').get('mixed');
    expect(e).toEqual({ streamId: 'mixed', durableSeq: 100, ackedSeq: 150, durableTimestamp: '42' });
    if (!e) throw new Error('no expectation');
    const gaps = classifyResumeGap(e, { fromSeq: 101, toSeq: 170, reason: 'missingSeq' }, 'now');
    expect(gaps.map((g) => [g.reason, g.fromSeq, g.toSeq])).toEqual([['workerLost', 101, 150], ['bridgeDisconnected', 151, 170]]);
    expect(classifyResumeGap(e, { fromSeq: 101, toSeq: 150, reason: 'missingSeq' }, 'now').map((g) => g.reason)).toEqual(['workerLost']);
    // A later gap (not right after the durable point) is not explained by the reconnect.
    expect(classifyResumeGap(e, { fromSeq: 300, toSeq: 310, reason: 'missingSeq' }, 'now')).toEqual([]);
  });
  it('a stream the worker never saw counts from 0; a bridge behind the worker changes nothing', () => {
    const m = resumeExpectations([{ streamId: 'mixed', seq: 200 }], [{ streamId: 'mixed', seq: 150 }, { streamId: 'unmixed-7', seq: 0 }], () => null);
    expect(m.get('mixed')).toMatchObject({ durableSeq: 200, ackedSeq: 200 });
    const u = m.get('unmixed-7');
    if (!u) throw new Error('no expectation');
    expect(classifyResumeGap(u, { fromSeq: 1, toSeq: 9, reason: 'missingSeq' }, 'now').map((g) => g.reason)).toEqual(['bridgeDisconnected']);
  });
});
