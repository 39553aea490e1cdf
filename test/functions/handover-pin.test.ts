// The call's worker pin: adoption re-pins, a stale or out-of-order adoption does not pin back, lost heartbeats are a
// durable-timer deadline, and a leg whose worker was lost without adoption is incomplete with the reason (pure).
import { describe, expect, it } from 'vitest';
import { buildLeg, currentWorkerId, dueWork, liveStatus, newCallModel, nextDeadline, pinOf } from '../../functions/domain/call-model.js';
import { answeredCall, at, lifecycleSettings, T0 } from './helpers/answered-call.js';
import { applyAdoption, heartbeatDeadline, initialPin } from '../../functions/domain/worker-pin.js';

const settings = lifecycleSettings({ workerHeartbeatTimeoutMs: 45_000 });

describe('worker pin', () => {
  it('an adoption by another worker re-pins; an older one (out of order) does not pin back; the same worker only refreshes', () => {
    const p0 = initialPin('w-a', at(0));
    const toB = applyAdoption(p0, { workerId: 'w-b', at: at(10) });
    expect(toB).toMatchObject({ repinned: true, from: 'w-a', pin: { workerId: 'w-b', previous: ['w-a'], adoptions: 1 } });
    const toC = applyAdoption(toB.pin, { workerId: 'w-c', at: at(20) });
    expect(toC.pin).toMatchObject({ workerId: 'w-c', previous: ['w-a', 'w-b'], adoptions: 2 });
    // B's adoption delivered again, late: stale, C stays.
    expect(applyAdoption(toC.pin, { workerId: 'w-b', at: at(10) })).toMatchObject({ repinned: false, why: 'stale', pin: { workerId: 'w-c' } });
    expect(applyAdoption(toC.pin, { workerId: 'w-c', at: at(25) })).toMatchObject({ repinned: false, why: 'sameWorker', pin: { workerId: 'w-c', since: at(25) } });
    // An adoption from before the call was pinned at all is stale too.
    expect(applyAdoption(p0, { workerId: 'w-b', at: at(-1) }).repinned).toBe(false);
  });

  it('heartbeats are watched from the first one on; once lost, no new deadline until a heartbeat or adoption clears it', () => {
    const p = initialPin('w-a', at(0));
    expect(heartbeatDeadline(p, null, 45_000)).toBeNull();
    expect(heartbeatDeadline(p, at(30), 45_000)).toBe(at(75));
    expect(heartbeatDeadline({ ...p, lostSince: at(80) }, at(30), 45_000)).toBeNull();
    // A fresh adoption counts as a sign of life.
    expect(heartbeatDeadline({ ...p, since: at(100) }, at(30), 45_000)).toBe(at(145));
  });

  it('the call model: a durable timer for the heartbeat, the current worker in custom status, an incomplete leg with its reason', () => {
    const m = newCallModel('call-1', answeredCall(), settings, T0);
    const pin = pinOf(m);
    if (!pin) throw new Error('no pin');
    expect(currentWorkerId(m)).toBe('w-a');
    m.media.lastHeartbeatAt = at(15);
    expect(nextDeadline(m)).toBe(at(60));
    expect(dueWork(m, at(60))).toContain('workerHeartbeat');
    pin.lostSince = at(60);
    expect(dueWork(m, at(61))).not.toContain('workerHeartbeat');
    expect(liveStatus(m)).toMatchObject({ workerId: 'w-a', worker: { lostSince: at(60), adoptions: 0 } });
    m.media.pin = applyAdoption(pin, { workerId: 'w-b', at: at(62) }).pin;
    expect(liveStatus(m)).toMatchObject({ workerId: 'w-b', worker: { lostSince: null, adoptions: 1, previous: ['w-a'] } });

    const lost = newCallModel('call-2', answeredCall(), settings, T0);
    lost.media.incompleteReason = 'media-worker w-a was lost and no other worker adopted the session';
    const leg = buildLeg(lost, at(120), null);
    expect(leg.integrity).toBe('incomplete');
    expect(leg.customData.incompleteReason).toMatch(/was lost/);
    const moved = buildLeg(m, at(120), { sessionId: 's1', callId: 'call-1', state: 'sealed', manifestBlob: 'm.json', streams: [], gaps: [], nothingRecorded: false });
    expect(moved).toMatchObject({ workerId: 'w-b', integrity: 'sealed', customData: { previousWorkers: 'w-a' } });
  });
});
