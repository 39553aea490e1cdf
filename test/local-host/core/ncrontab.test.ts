import { describe, expect, it } from 'vitest';
import { nextOccurrence, nextOccurrences, parseSchedule, ScheduleError } from '../../../local-host/src/timer/ncrontab.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('NCRONTAB', () => {
  it('every 5 minutes, seconds first', () => {
    const s = parseSchedule('0 */5 * * * *');
    expect(nextOccurrences(s, at('2026-01-01T10:03:10Z'), 3).map(iso)).toEqual([
      '2026-01-01T10:05:00.000Z',
      '2026-01-01T10:10:00.000Z',
      '2026-01-01T10:15:00.000Z',
    ]);
  });

  it('is strictly after the given time', () => {
    const s = parseSchedule('0 0 * * * *');
    expect(iso(nextOccurrence(s, at('2026-01-01T10:00:00Z')))).toBe('2026-01-01T11:00:00.000Z');
  });

  it('every 10 seconds', () => {
    const s = parseSchedule('*/10 * * * * *');
    expect(iso(nextOccurrence(s, at('2026-01-01T10:00:05.500Z')))).toBe('2026-01-01T10:00:10.000Z');
  });

  it('weekdays at 09:30 with names and ranges', () => {
    const s = parseSchedule('0 30 9 * * MON-FRI');
    // 2026-01-02 is a Friday; the next run after Friday 10:00 is Monday 2026-01-05
    expect(iso(nextOccurrence(s, at('2026-01-02T10:00:00Z')))).toBe('2026-01-05T09:30:00.000Z');
  });

  it('lists, steps from a start value, month names and year wrap', () => {
    expect(iso(nextOccurrence(parseSchedule('0 0 0 1 JAN,JUL *'), at('2026-07-01T00:00:01Z')))).toBe('2027-01-01T00:00:00.000Z');
    expect(nextOccurrences(parseSchedule('5/20 * * * * *'), at('2026-01-01T00:00:00Z'), 3).map(iso)).toEqual([
      '2026-01-01T00:00:05.000Z',
      '2026-01-01T00:00:25.000Z',
      '2026-01-01T00:00:45.000Z',
    ]);
  });

  it('day of month AND day of week must both match', () => {
    // the 13th that is a Friday: after 2026-01-01 that is 2026-02-13
    expect(iso(nextOccurrence(parseSchedule('0 0 0 13 * 5'), at('2026-01-01T00:00:00Z')))).toBe('2026-02-13T00:00:00.000Z');
  });

  it('handles leap days and impossible dates', () => {
    expect(iso(nextOccurrence(parseSchedule('0 0 12 29 2 *'), at('2026-03-01T00:00:00Z')))).toBe('2028-02-29T12:00:00.000Z');
    expect(nextOccurrence(parseSchedule('0 0 0 30 2 *'), at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('accepts five fields (second 0), 7 as Sunday, and TimeSpan intervals', () => {
    expect(iso(nextOccurrence(parseSchedule('15 * * * *'), at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T00:15:00.000Z');
    expect(iso(nextOccurrence(parseSchedule('0 0 0 * * 7'), at('2026-01-01T00:00:00Z')))).toBe('2026-01-04T00:00:00.000Z');
    const span = parseSchedule('00:00:30');
    expect(span).toMatchObject({ kind: 'interval', intervalMs: 30_000 });
    expect(nextOccurrence(span, 1000)).toBe(31_000);
    expect(parseSchedule('1.02:00:00')).toMatchObject({ intervalMs: 26 * 3600 * 1000 });
  });

  it('rejects bad expressions with the reason', () => {
    expect(() => parseSchedule('* * * *')).toThrow(ScheduleError);
    expect(() => parseSchedule('60 * * * * *')).toThrow(/outside 0-59/);
    expect(() => parseSchedule('0 */0 * * * *')).toThrow(/bad step/);
    expect(() => parseSchedule('0 5-1 * * * *')).toThrow(/ends before/);
    expect(() => parseSchedule('0 0 0 * * FUNDAY')).toThrow(/not a valid/);
    expect(() => parseSchedule('00:00:00')).toThrow(/positive/);
  });
});
