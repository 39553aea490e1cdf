/** Timer triggers through the CLI with a scaled clock, and past-due detection from the persisted status. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, fixtureApp, type HostProcess, startHostProcess } from './host-process.js';

interface Tick {
  isPastDue: boolean;
  last: string | null;
  next: string | null;
}

const hosts: HostProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const h of hosts) await h.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function ticks(h: HostProcess): Promise<Tick[]> {
  const state = (await (await fetch(`${h.baseUrl}/api/state`)).json()) as { ticks: Tick[] };
  return state.ticks;
}

describe('local-host timer triggers', () => {
  it('fires on the NCRONTAB schedule of a scaled clock and persists the schedule status', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-timer-'));
    dirs.push(dataDir);
    // "0 */5 * * * *" (from local.settings.json) at 600x: one occurrence every 0.5 s of real time
    const h = await startHostProcess(['--app', fixtureApp, '--data', dataDir, '--clock-scale', '600', '--no-durable']);
    hosts.push(h);
    const seen = await eventually(async () => {
      const t = await ticks(h);
      return t.length >= 3 ? t : undefined;
    });
    for (const t of seen) {
      expect(t.isPastDue).toBe(false);
      expect(new Date(t.next ?? '').getUTCMinutes() % 5).toBe(0);
      expect(new Date(t.next ?? '').getUTCSeconds()).toBe(0);
    }
    // each invocation sees the previous occurrence as Last and its own occurrence as Next
    expect(seen[2]?.last).toBe(seen[1]?.next);
    // a whole number of 5-minute steps (a busy machine may make the scaled clock skip an occurrence)
    const step = Date.parse(seen[2]?.next ?? '') - Date.parse(seen[1]?.next ?? '');
    expect(step > 0 && step % (5 * 60_000) === 0).toBe(true);
    const status = JSON.parse(await readFile(path.join(dataDir, 'timers/tick.status.json'), 'utf8')) as { Last: string; Next: string };
    const gap = Date.parse(status.Next) - Date.parse(status.Last);
    expect(gap > 0 && gap % (5 * 60_000) === 0).toBe(true);
  });

  it('reports isPastDue when the persisted next occurrence was missed', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-timer-'));
    dirs.push(dataDir);
    await mkdir(path.join(dataDir, 'timers'), { recursive: true });
    const missed = { Last: '2020-01-01T00:00:00.000Z', Next: '2020-01-01T00:05:00.000Z', LastUpdated: '2020-01-01T00:00:00.000Z' };
    await writeFile(path.join(dataDir, 'timers/tick.status.json'), JSON.stringify(missed));
    const h = await startHostProcess(['--app', fixtureApp, '--data', dataDir, '--no-durable']);
    hosts.push(h);
    const first = await eventually(async () => (await ticks(h))[0]);
    expect(first).toEqual({ isPastDue: true, last: missed.Last, next: missed.Next });
    const status = await eventually(async () => {
      const s = JSON.parse(await readFile(path.join(dataDir, 'timers/tick.status.json'), 'utf8')) as { Last: string; Next: string };
      return s.Last === missed.Next ? s : undefined;
    });
    expect(Date.parse(status.Next)).toBeGreaterThan(Date.now() - 60_000);
  });
});
