/** Conformance: durable entities over HTTP, through the library client, and from an orchestrator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, startHostProcess, startOrchestration, waitFor } from './host-process.js';

let host: HostProcess;

beforeAll(async () => {
  host = await startHostProcess();
});

afterAll(async () => {
  await host?.stop();
});

async function entityState(key: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${host.webhooks}/entities/tally/${key}`);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function waitForState(key: string, expected: unknown): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const s = await entityState(key);
    last = s.body;
    if (s.status === 200 && JSON.stringify(s.body) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`entity ${key} state ${JSON.stringify(last)} never became ${JSON.stringify(expected)}`);
}

describe('durable entities', () => {
  it('signal over HTTP (202), then GET returns the bare state; unknown entity is 404', async () => {
    const key = `k${Date.now()}`;
    expect((await entityState(key)).status).toBe(404);
    const res = await fetch(`${host.webhooks}/entities/Tally/${key}?op=add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '3' });
    expect(res.status).toBe(202);
    await fetch(`${host.webhooks}/entities/tally/${key}?op=add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '4' });
    await waitForState(key, 7);
    const bad = await fetch(`${host.webhooks}/entities/tally/${key}?op=add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{x' });
    expect(bad.status).toBe(400);
    const list = (await (await fetch(`${host.webhooks}/entities/tally?fetchState=true`)).json()) as { entityId: { key: string; name: string }; state: unknown }[];
    expect(list).toContainEqual(expect.objectContaining({ entityId: { key, name: 'tally' }, state: 7 }));
  });

  it('signalEntity and readEntityState work through the library client', async () => {
    const key = `c${Date.now()}`;
    expect((await fetch(`${host.baseUrl}/api/entity/${key}`, { method: 'POST', body: '2' })).status).toBe(202);
    await waitForState(key, 2);
    expect(await (await fetch(`${host.baseUrl}/api/entity/${key}`)).json()).toEqual({ exists: true, state: 2 });
  });

  it('an orchestrator signals and calls an entity and gets the value back', async () => {
    const key = `o${Date.now()}`;
    const id = await startOrchestration(host, 'entityUser', key);
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toBe(15);
    await waitForState(key, 15);
  });
});
