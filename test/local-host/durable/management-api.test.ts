/**
 * Conformance: the Durable HTTP management API (status codes and payloads of the reference), the durableClient
 * binding through the real library, and the dashboard pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, getStatus, raise, startHostProcess, startOrchestration, waitFor } from './host-process.js';

let host: HostProcess;

beforeAll(async () => {
  host = await startHostProcess();
});

afterAll(async () => {
  await host?.stop();
});

async function post(url: string, body?: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, ...(body === undefined ? {} : { body }) });
  return { status: res.status, text: await res.text() };
}

describe('start', () => {
  it('refuses unknown orchestrators, bad ids and bad JSON with 400 and a reason', async () => {
    const unknown = await post(`${host.webhooks}/orchestrators/nope`);
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain("The function 'nope' doesn't exist, is disabled, or is not an orchestrator function.");
    expect((await post(`${host.webhooks}/orchestrators/chain/%40bad`)).status).toBe(400);
    expect((await post(`${host.webhooks}/orchestrators/chain/a%23b`)).status).toBe(400);
    expect((await post(`${host.webhooks}/orchestrators/chain/${'x'.repeat(257)}`)).status).toBe(400);
    const badJson = await post(`${host.webhooks}/orchestrators/chain`, '{not json');
    expect(badJson.status).toBe(400);
    expect(badJson.text).toContain('Invalid JSON content');
  });

  it('reuses a finished instance id, refuses a running one with 500', async () => {
    const id = `reuse-${Date.now()}`;
    await startOrchestration(host, 'waitForever', undefined, id);
    const again = await post(`${host.webhooks}/orchestrators/chain/${id}`);
    expect(again.status).toBe(500);
    expect(again.text).toContain('already exists');
    expect((await post(`${host.webhooks}/instances/${id}/terminate?reason=done`)).status).toBe(202);
    await startOrchestration(host, 'chain', undefined, id);
    const s = await waitFor(host, id);
    expect(s.name).toBe('chain');
    expect(s.runtimeStatus).toBe('Completed');
  });
});

describe('status', () => {
  it('404 for an unknown instance, 202 + Location + Retry-After while running, null-valued keys present', async () => {
    expect((await getStatus(host, 'does-not-exist')).http).toBe(404);
    const id = await startOrchestration(host, 'waitForever');
    await waitFor(host, id, 10_000, (s) => s.runtimeStatus === 'Running');
    const res = await fetch(`${host.webhooks}/instances/${id}`);
    expect(res.status).toBe(202);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('location')).toContain(`/instances/${id}`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'waitForever', runtimeStatus: 'Running', input: null, output: null, customStatus: 'waiting' });
    const noInput = await getStatus(host, id, '?showInput=false');
    expect(noInput.body?.input).toBeNull();
  });

  it('showHistory folds TaskScheduled into TaskCompleted; Result only with showHistoryOutput', async () => {
    const id = await startOrchestration(host, 'chain');
    await waitFor(host, id);
    const plain = await getStatus(host, id, '?showHistory=true');
    const events = plain.body?.historyEvents ?? [];
    expect(events.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskCompleted', 'TaskCompleted', 'TaskCompleted', 'ExecutionCompleted']);
    expect(events[1]).toMatchObject({ FunctionName: 'sayHello' });
    expect(events[1]).toHaveProperty('ScheduledTime');
    expect(events[1]).not.toHaveProperty('Result');
    expect(events[1]).not.toHaveProperty('EventId');
    const withOutput = await getStatus(host, id, '?showHistory=true&showHistoryOutput=true');
    expect(withOutput.body?.historyEvents?.[1]).toMatchObject({ Result: 'Hello Tokyo!' });
  });
});

describe('raise event', () => {
  it('checks 404 → 410 → content type 400 → JSON 400 → 202, in that order', async () => {
    expect(await raise(host, 'missing-instance', 'x', 'not json', 'text/plain')).toBe(404);
    const done = await startOrchestration(host, 'chain');
    await waitFor(host, done);
    expect(await raise(host, done, 'x', 'not json', 'text/plain')).toBe(410);
    const live = await startOrchestration(host, 'waitForever');
    expect(await raise(host, live, 'x', '{bad', 'text/plain')).toBe(400);
    expect(await raise(host, live, 'x', '{bad')).toBe(400);
    expect(await raise(host, live, 'x', '{"ok":1}')).toBe(202);
  });
});

describe('terminate, suspend, resume, purge', () => {
  it('terminate: output is the reason; 410 afterwards; 404 for unknown', async () => {
    const id = await startOrchestration(host, 'waitForever');
    await waitFor(host, id, 10_000, (s) => s.runtimeStatus === 'Running');
    expect((await post(`${host.webhooks}/instances/${id}/terminate?reason=stop%20now`)).status).toBe(202);
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Terminated');
    expect(s.output).toBe('stop now');
    expect((await post(`${host.webhooks}/instances/${id}/terminate?reason=again`)).status).toBe(410);
    expect((await post(`${host.webhooks}/instances/unknown-id/terminate`)).status).toBe(404);
  });

  it('suspend buffers events until resume', async () => {
    const id = await startOrchestration(host, 'eventType');
    await waitFor(host, id, 10_000, (s) => s.runtimeStatus === 'Running');
    expect((await post(`${host.webhooks}/instances/${id}/suspend?reason=pause`)).status).toBe(202);
    expect((await getStatus(host, id)).body?.runtimeStatus).toBe('Suspended');
    expect(await raise(host, id, 'data', '7')).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    expect((await getStatus(host, id)).body?.runtimeStatus).toBe('Suspended');
    expect((await post(`${host.webhooks}/instances/${id}/resume?reason=go`)).status).toBe(202);
    const s = await waitFor(host, id);
    expect(s.output).toEqual({ value: 7, type: 'number' });
  });

  it('purge one: {"instancesDeleted":1} then 404; purge by filter needs createdTimeFrom', async () => {
    const id = await startOrchestration(host, 'chain');
    await waitFor(host, id);
    const res = await fetch(`${host.webhooks}/instances/${id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ instancesDeleted: 1 });
    expect((await getStatus(host, id)).http).toBe(404);
    expect((await fetch(`${host.webhooks}/instances/${id}`, { method: 'DELETE' })).status).toBe(404);
    const noFrom = await fetch(`${host.webhooks}/instances`, { method: 'DELETE' });
    expect(noFrom.status).toBe(400);
    expect(await noFrom.text()).toContain("Please provide value for 'createdTimeFrom' parameter.");
  });

  it('purge by filter deletes the matching finished instances', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const ids = [await startOrchestration(host, 'chain'), await startOrchestration(host, 'chain')];
    for (const id of ids) await waitFor(host, id);
    const res = await fetch(`${host.webhooks}/instances?createdTimeFrom=${from}&runtimeStatus=Completed`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const { instancesDeleted } = (await res.json()) as { instancesDeleted: number };
    expect(instancesDeleted).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect((await getStatus(host, id)).http).toBe(404);
  });
});

describe('restart', () => {
  it('restarts with the original input under a new id (or the same id when asked)', async () => {
    const id = await startOrchestration(host, 'encoding', 'again');
    await waitFor(host, id);
    const res = await fetch(`${host.webhooks}/instances/${id}/restart`, { method: 'POST' });
    expect(res.status).toBe(202);
    const { id: newId } = (await res.json()) as { id: string };
    expect(newId).not.toBe(id);
    expect((await waitFor(host, newId)).input).toBe('again');
    const same = await fetch(`${host.webhooks}/instances/${id}/restart?restartWithNewInstanceId=false`, { method: 'POST' });
    expect(((await same.json()) as { id: string }).id).toBe(id);
    expect((await waitFor(host, id)).runtimeStatus).toBe('Completed');
    const unknown = await fetch(`${host.webhooks}/instances/nobody/restart`, { method: 'POST' });
    expect(unknown.status).toBe(400);
  });
});

describe('rewind', () => {
  it('re-runs the failed activity of a Failed instance; 410 for a Completed one, 404 unknown', async () => {
    const id = await startOrchestration(host, 'rewindable');
    const failed = await waitFor(host, id);
    expect(failed.runtimeStatus).toBe('Failed');
    expect((await post(`${host.webhooks}/instances/${id}/rewind?reason=retry`)).status).toBe(202);
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual({ first: 'Hello rewind!', attempts: 2 });
    expect((await post(`${host.webhooks}/instances/${id}/rewind`)).status).toBe(410);
    expect((await post(`${host.webhooks}/instances/nobody/rewind`)).status).toBe(404);
  });
});

describe('list', () => {
  it('pages with top and x-ms-continuation-token, filters by status and created time', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add(await startOrchestration(host, 'waitForever'));
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const res = await fetch(`${host.webhooks}/instances?top=3&runtimeStatus=Running,Pending&createdTimeFrom=${from}`, {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      expect(res.status).toBe(200);
      expect(res.headers.has('x-ms-continuation-token')).toBe(true);
      const page = (await res.json()) as { instanceId: string; runtimeStatus: string }[];
      expect(page.length).toBeLessThanOrEqual(3);
      for (const p of page) {
        expect(['Running', 'Pending']).toContain(p.runtimeStatus);
        seen.push(p.instanceId);
      }
      token = res.headers.get('x-ms-continuation-token') ?? '';
      pages++;
    } while (token && pages < 20);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThanOrEqual(3);
    for (const id of ids) await post(`${host.webhooks}/instances/${id}/terminate?reason=cleanup`);
  });
});

describe('durableClient binding through the real library', () => {
  it('getStatus, raiseEvent, terminate, getStatusAll and purgeInstanceHistory work', async () => {
    const id = await startOrchestration(host, 'eventType');
    await waitFor(host, id, 10_000, (s) => s.runtimeStatus === 'Running');
    const status = await fetch(`${host.baseUrl}/api/client/${id}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ name: 'eventType', instanceId: id, runtimeStatus: 'Running' });
    expect((await post(`${host.baseUrl}/api/client/${id}/raise/data`, '"x"')).status).toBe(202);
    expect((await waitFor(host, id)).output).toEqual({ value: 'x', type: 'string' });
    const other = await startOrchestration(host, 'waitForever');
    expect((await post(`${host.baseUrl}/api/client/${other}/terminate?reason=lib`)).status).toBe(202);
    expect((await waitFor(host, other)).output).toBe('lib');
    const list = (await (await fetch(`${host.baseUrl}/api/client-list`)).json()) as string[];
    expect(list).toContain(id);
    const purge = await fetch(`${host.baseUrl}/api/client/${id}`, { method: 'DELETE' });
    expect(await purge.json()).toEqual({ instancesDeleted: 1 });
    expect((await getStatus(host, id)).http).toBe(404);
  });
});

describe('dashboard', () => {
  it('lists instances with filters and shows an instance with its history timeline', async () => {
    const id = await startOrchestration(host, 'chain');
    await waitFor(host, id);
    const list = await fetch(`${host.baseUrl}/dashboard?status=Completed&name=chain`);
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain(id);
    expect(html).not.toContain('waitForever</td>');
    const page = await fetch(`${host.baseUrl}/dashboard/instances/${id}`);
    const detail = await page.text();
    expect(page.status).toBe(200);
    expect(detail).toContain('TaskCompleted');
    expect(detail).toContain('sayHello');
    expect((await fetch(`${host.baseUrl}/dashboard/instances/nope`)).status).toBe(404);
  });
});
