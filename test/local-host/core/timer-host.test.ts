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
    expect(Date.parse(seen[2]?.next ?? '') - Date.parse(seen[1]?.next ?? '')).toBe(5 * 60_000);
    const status = JSON.parse(await readFile(path.join(dataDir, 'timers/tick.status.json'), 'utf8')) as { Last: string; Next: string };
    expect(Date.parse(status.Next) - Date.parse(status.Last)).toBe(5 * 60_000);
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

  it('refuses a bad --settings file with a clear error', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-timer-'));
    dirs.push(dataDir);
    const settings = path.join(dataDir, 'bad.settings.json');
    await writeFile(settings, '{"Values": {"A": {"nested": true}}}');
    await expect(startHostProcess(['--app', fixtureApp, '--data', dataDir, '--settings', settings, '--no-durable'])).rejects.toThrow(
      /exited with 1[\s\S]*bad\.settings\.json/,
    );
  });
});

describe('local-host in development mode', () => {
  it('shows the error message in a 500 and enforces LOCAL_HOST_MAX_BODY_BYTES with 413', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-dev-'));
    dirs.push(dataDir);
    const h = await startHostProcess(['--app', fixtureApp, '--data', dataDir, '--no-durable'], {
      AZURE_FUNCTIONS_ENVIRONMENT: 'Development',
      LOCAL_HOST_MAX_BODY_BYTES: '1024',
    });
    hosts.push(h);
    const boom = await fetch(`${h.baseUrl}/api/boom`);
    expect(boom.status).toBe(500);
    expect(((await boom.json()) as { message: string }).message).toContain('kaboom');
    const big = await fetch(`${h.baseUrl}/api/echo`, { method: 'POST', body: Buffer.alloc(4096) });
    expect(big.status).toBe(413);
    const small = await fetch(`${h.baseUrl}/api/echo`, { method: 'POST', body: Buffer.alloc(1000, 1) });
    expect((await small.arrayBuffer()).byteLength).toBe(1000);
  });
});
