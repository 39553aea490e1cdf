// What recovers a Graph notification the orchestration never saw (lost at a continueAsNew, or never sent): the
// establish-timeout / watchdog GET of the call reconciles a lost `established` and a lost `terminated`; a lost roster
// snapshot is corrected by the next one (without delta roster, Graph sends the full participant list each time). Pure.
import { describe, expect, it } from 'vitest';
import { applyCallState, isEnded } from '../../functions/domain/call-state.js';
import { dueWork, markSeen, newCallModel, nextDeadline, shouldStartRecording, type CallModel } from '../../functions/domain/call-model.js';
import { applyProbe } from '../../functions/domain/probe.js';
import { applyRoster, emptyRoster, type RosterState } from '../../functions/domain/roster.js';
import { answeredCall, at, lifecycleSettings, T0 } from './helpers/answered-call.js';

const settings = lifecycleSettings({ maxEventsPerExecution: 3 });

/** A model that saw `establishing` (and media) but whose `established` notification was lost. */
function establishedLost(): CallModel {
  const m = newCallModel('call-1', answeredCall(), settings, T0);
  m.lifecycle = 'establishing';
  m.callState = applyCallState(m.callState, { dedupId: 'n1', state: 'establishing' }).view;
  m.lastNotificationAt = at(1);
  m.mediaFlowing = true;
  return m;
}

describe('a lost established notification', () => {
  it('is reconciled by the establish-timeout probe, and recording can then start', () => {
    const m = establishedLost();
    expect(shouldStartRecording(m)).toBe(false);
    expect(nextDeadline(m)).toBe(at(60));
    expect(dueWork(m, at(60))).toEqual(['establishTimeout']);
    expect(applyProbe(m, { outcome: 'present', state: 'established', resultInfo: null }, at(60), 'establishTimeout')).toBe('established');
    expect(m).toMatchObject({ lifecycle: 'established', establishedAt: at(60), lastProbeAt: at(60) });
    expect(shouldStartRecording(m)).toBe(true);
    // No establish timeout any more; the next probe is the watchdog's.
    expect(dueWork(m, at(61))).toEqual([]);
    expect(nextDeadline(m)).toBe(at(360));
  });

  it('a probe that still shows establishing changes nothing (the timeout then hangs up, as before)', () => {
    const m = establishedLost();
    expect(applyProbe(m, { outcome: 'present', state: 'establishing', resultInfo: null }, at(60), 'establishTimeout')).toBe('unchanged');
    expect(m.callState.everEstablished).toBe(false);
  });
});

describe('a lost terminated notification', () => {
  function recording(): CallModel {
    const m = establishedLost();
    applyProbe(m, { outcome: 'present', state: 'established', resultInfo: null }, at(2), 'establishTimeout');
    m.recording = 'recording';
    m.lastNotificationAt = at(10);
    return m;
  }

  it('the watchdog probes after a quiet interval; a call gone (404) ends it', () => {
    const m = recording();
    expect(nextDeadline(m)).toBe(at(310));
    expect(dueWork(m, at(310))).toEqual(['watchdog']);
    expect(applyProbe(m, { outcome: 'callGone' }, at(310), 'watchdog')).toBe('gone');
    expect(m.endedBy).toBe('watchdog: call gone');
  });

  it('a call Graph still shows as terminated (or terminating) ends it too', () => {
    const m = recording();
    expect(applyProbe(m, { outcome: 'present', state: 'terminated', resultInfo: { code: 200, subcode: 5001 } }, at(310), 'watchdog')).toBe('ended');
    expect(isEnded(m.callState)).toBe(true);
    expect(m.callState.terminatedReason).toEqual({ code: 200, subcode: 5001 });
    const t = recording();
    expect(applyProbe(t, { outcome: 'present', state: 'terminating', resultInfo: null }, at(310), 'watchdog')).toBe('unchanged');
    expect(t.lifecycle).toBe('terminating');
  });

  it('a probe of a live call moves the watchdog on', () => {
    const m = recording();
    applyProbe(m, { outcome: 'present', state: 'established', resultInfo: null }, at(310), 'watchdog');
    expect(nextDeadline(m)).toBe(at(610));
  });
});

describe('a lost roster snapshot', () => {
  const p = (id: string, sourceId: string) => ({ id, info: { identity: { user: { id: `user-${id}` } } }, mediaStreams: [{ mediaType: 'audio', sourceId }] });
  const present = (s: RosterState): string[] => Object.values(s.participants).filter((x) => x.intervals.some((i) => i.leftAt === null)).map((x) => x.participantId).sort();

  it('is corrected by the next one: same participants present, same speaker map', () => {
    const first = applyRoster(emptyRoster(), { participants: [p('a', '5')], delta: false, sequenceNumber: null, at: 't1' }).state;
    const lost = { participants: [p('a', '5'), p('b', '7')], delta: false, sequenceNumber: null, at: 't2' };
    const next = { participants: [p('b', '7'), p('c', '9')], delta: false, sequenceNumber: null, at: 't3' };
    const all = applyRoster(applyRoster(first, lost).state, next).state;
    const withoutLost = applyRoster(first, next).state;
    expect(present(withoutLost)).toEqual(present(all));
    expect(present(withoutLost)).toEqual(['b', 'c']);
    expect(withoutLost.speakerMap).toEqual(all.speakerMap);
    // What is lost is the time: b is shown from the next snapshot on.
    expect(all.participants.b?.intervals[0]?.joinedAt).toBe('t2');
    expect(withoutLost.participants.b?.intervals[0]?.joinedAt).toBe('t3');
    expect(withoutLost.participants.a?.intervals).toEqual([{ joinedAt: 't1', leftAt: 't3' }]);
  });
});

describe('a media event re-posted by the worker', () => {
  it('is applied once (same dedup id), also across a continueAsNew that carries the model', () => {
    const m = establishedLost();
    expect(markSeen(m, 'media:w-a:e1')).toBe(true);
    const carried = JSON.parse(JSON.stringify(m)) as CallModel;
    expect(markSeen(carried, 'media:w-a:e1')).toBe(false);
  });
});
