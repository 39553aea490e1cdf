/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields `{second} {minute} {hour} {day} {month}
 * {day-of-week}` (five-field expressions get second 0), with `*`, `n`, `a-b`, `/step`, lists, month and day names.
 * Day-of-month and day-of-week must BOTH match (NCrontab semantics, unlike Vixie cron's OR). Times are UTC.
 * A TimeSpan `hh:mm:ss` (or `d.hh:mm:ss`) is an interval schedule. Pure: parse and compute occurrences.
 */

export interface CronSchedule {
  kind: 'cron';
  expression: string;
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
}

export interface IntervalSchedule {
  kind: 'interval';
  expression: string;
  intervalMs: number;
}

export type TimerSchedule = CronSchedule | IntervalSchedule;

export class ScheduleError extends Error {
  constructor(expression: string, reason: string) {
    super(`Invalid timer schedule "${expression}": ${reason}`);
    this.name = 'ScheduleError';
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const fields: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: monthNames },
  { name: 'day-of-week', min: 0, max: 6, names: dayNames },
];

export function parseSchedule(expression: string): TimerSchedule {
  const text = expression.trim();
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (span) {
    const [, d = '0', h = '0', m = '0', s = '0'] = span;
    const intervalMs = (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
    if (Number(m) > 59 || Number(s) > 59) throw new ScheduleError(expression, 'minutes and seconds must be below 60');
    if (intervalMs <= 0) throw new ScheduleError(expression, 'the interval must be positive');
    return { kind: 'interval', expression, intervalMs };
  }
  let parts = text.split(/\s+/).filter(Boolean);
  if (parts.length === 5) parts = ['0', ...parts];
  if (parts.length !== 6) throw new ScheduleError(expression, `expected 6 fields (second minute hour day month day-of-week), got ${parts.length}`);
  const sets = parts.map((part, i) => parseField(part, fields[i] as FieldSpec, expression));
  const [seconds, minutes, hours, days, months, daysOfWeek] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  return { kind: 'cron', expression, seconds, minutes, hours, days, months, daysOfWeek };
}

function parseField(text: string, spec: FieldSpec, expression: string): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new ScheduleError(expression, `empty list item in the ${spec.name} field`);
    const [rangeText = '', stepText, extra] = item.split('/');
    if (extra !== undefined) throw new ScheduleError(expression, `"${item}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new ScheduleError(expression, `bad step "${stepText}" in the ${spec.name} field`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (rangeText === '*') {
      from = spec.min;
      to = spec.max;
    } else if (rangeText.includes('-')) {
      const [a = '', b = ''] = rangeText.split('-');
      from = value(a, spec, expression);
      to = value(b, spec, expression);
      if (to < from) throw new ScheduleError(expression, `range "${rangeText}" ends before it starts`);
    } else {
      from = value(rangeText, spec, expression);
      to = stepText !== undefined ? spec.max : from;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function value(text: string, spec: FieldSpec, expression: string): number {
  let v: number;
  const byName = spec.names?.indexOf(text.toUpperCase().slice(0, 3)) ?? -1;
  if (/^\d+$/.test(text)) v = Number(text);
  else if (byName >= 0 && /^[A-Za-z]{3,}$/.test(text)) v = byName + spec.min;
  else throw new ScheduleError(expression, `"${text}" is not a valid ${spec.name}`);
  if (spec.name === 'day-of-week' && v === 7) v = 0;
  if (v < spec.min || v > spec.max) throw new ScheduleError(expression, `${spec.name} ${v} is outside ${spec.min}-${spec.max}`);
  return v;
}

/** The first occurrence strictly after `afterMs` (epoch ms, UTC), or undefined when none within ~5 years. */
export function nextOccurrence(schedule: TimerSchedule, afterMs: number): number | undefined {
  if (schedule.kind === 'interval') return afterMs + schedule.intervalMs;
  const limit = afterMs + 5 * 366 * 24 * 3600 * 1000;
  const d = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  while (d.getTime() <= limit) {
    if (!schedule.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.days.has(d.getUTCDate()) || !schedule.daysOfWeek.has(d.getUTCDay())) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!schedule.seconds.has(d.getUTCSeconds())) {
      d.setUTCSeconds(d.getUTCSeconds() + 1, 0);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}

/** The next `count` occurrences after `afterMs`. */
export function nextOccurrences(schedule: TimerSchedule, afterMs: number, count: number): number[] {
  const out: number[] = [];
  let t = afterMs;
  while (out.length < count) {
    const next = nextOccurrence(schedule, t);
    if (next === undefined) break;
    out.push(next);
    t = next;
  }
  return out;
}
