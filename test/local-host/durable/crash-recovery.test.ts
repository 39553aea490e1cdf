/**
 * Conformance: kill -9 of the host in the middle of orchestrations, then a restart on the same data folder. The
 * instances finish with the same output and completed steps are not redone (side effects counted in a file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HostProcess, getStatus, newDataDir, raise, startHostProcess, startOrchestration, waitFor } from './host-process.js';

const hosts: HostProcess[] = [];

afterAll(async () => {
  for (const h of hosts) await h.kill9();
});

describe('crash recovery', () => {
  it('resumes after kill -9 with the same output and no duplicated side effects', async () => {
    const dataDir = newDataDir();
    const file = path.join(dataDir, 'side-effects.txt');
    writeFileSync(file, '');
    const first = await startHostProcess(dataDir);
    hosts.push(first);

    const id = await startOrchestration(first, 'sideEffects', { file, pauseMs: 1500 });
    const waiting = await startOrchestration(first, 'eventType');
    const slow = await startOrchestration(first, 'earlyEvents', 3000);
    // Kill while `sideEffects` waits on its first durable timer (step 1 committed) and `slow`'s activity runs.
    await waitFor(first, id, 15_000, () => {
      return readFileSync(file, 'utf8').includes(`${id}:1`);
    });
    await waitFor(first, id, 15_000, (s) => s.runtimeStatus === 'Running');
    const committed = async (): Promise<boolean> => {
      const h = await getStatus(first, id, '?showHistory=true');
      return (h.body?.historyEvents ?? []).some((e) => e.EventType === 'TaskCompleted');
    };
    const deadline = Date.now() + 10_000;
    while (!(await committed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await waitFor(first, waiting, 10_000, (s) => s.runtimeStatus === 'Running');
    await first.kill9();
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await startHostProcess(dataDir);
    hosts.push(second);
    expect(await raise(second, slow, 'E', '"a"')).toBe(202);
    expect(await raise(second, slow, 'E', '"b"')).toBe(202);
    expect(await raise(second, waiting, 'data', '5')).toBe(202);

    const s = await waitFor(second, id, 30_000);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toBe('done');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toEqual([`${id}:1`, `${id}:2`, `${id}:3`]);
    expect((await waitFor(second, waiting)).output).toEqual({ value: 5, type: 'number' });
    expect((await waitFor(second, slow, 30_000)).output).toEqual(['a', 'b']);
    await second.stop();
  });

  it('refuses a second host on the same data folder with a clear error', async () => {
    const dataDir = newDataDir();
    const first = await startHostProcess(dataDir);
    hosts.push(first);
    await expect(startHostProcess(dataDir)).rejects.toThrow(/in use by another host process/);
    await first.stop();
  });
});
