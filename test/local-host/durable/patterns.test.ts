/**
 * Conformance: the Durable Functions patterns, run by the real durable-functions library inside the local host CLI,
 * observed over HTTP only.
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

describe('durable patterns', () => {
  it('chains activities in order', async () => {
    const id = await startOrchestration(host, 'chain');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
  });

  it('keeps string and object encodings (no double encoding, "42" stays a string)', async () => {
    const id = await startOrchestration(host, 'encoding', 'Tokyo');
    const s = await waitFor(host, id);
    expect(s.output).toEqual({
      a: { value: '42', type: 'string' },
      b: { value: { n: 42 }, type: 'object' },
      c: { value: 'Tokyo', type: 'string' },
      input: 'Tokyo',
    });
  });

  it('fans out 100 activities and fans in', async () => {
    const id = await startOrchestration(host, 'fanOut', 100);
    const s = await waitFor(host, id, 60_000);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toBe(100 * 101);
  });

  it('async HTTP API: an HTTP starter answers 202 with check-status URLs that can be followed', async () => {
    const res = await fetch(`${host.baseUrl}/api/start/chain`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.headers.get('retry-after')).toBe('10');
    const payload = (await res.json()) as Record<string, string>;
    expect(Object.keys(payload)).toEqual([
      'id', 'statusQueryGetUri', 'sendEventPostUri', 'terminatePostUri', 'rewindPostUri',
      'purgeHistoryDeleteUri', 'restartPostUri', 'suspendPostUri', 'resumePostUri',
    ]);
    expect(res.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(payload.statusQueryGetUri).toContain(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${payload.id}?taskHub=ConformanceHub&connection=Storage`);
    let status = 0;
    let body: Record<string, unknown> = {};
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const poll = await fetch(payload.statusQueryGetUri as string);
      status = poll.status;
      body = (await poll.json()) as Record<string, unknown>;
      if (status === 200) break;
      expect(status).toBe(202);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['name', 'instanceId', 'runtimeStatus', 'input', 'customStatus', 'output', 'createdTime', 'lastUpdatedTime']);
    expect(body.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body.output).toEqual(['Hello Tokyo!', 'Hello Seattle!', 'Hello London!']);
  });

  it('waitForCompletionOrCreateCheckStatusResponse returns the output (library client over rpcBaseUrl)', async () => {
    const res = await fetch(`${host.baseUrl}/api/run/fanOut`, { method: 'POST', body: '10' });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe(110);
  });

  it('monitor: timers fire at or after fireAt, custom status updates', async () => {
    const id = await startOrchestration(host, 'monitor', { iterations: 3, intervalMs: 300 });
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.customStatus).toEqual({ iteration: 3 });
    const times = s.output as { fireAt: string; woke: string }[];
    expect(times).toHaveLength(3);
    for (const t of times) expect(Date.parse(t.woke)).toBeGreaterThanOrEqual(Date.parse(t.fireAt));
  });

  it('human interaction: the event wins the race and the cancelled timer does not keep the instance running', async () => {
    const id = await startOrchestration(host, 'approval', { timeoutMs: 60_000 });
    await waitFor(host, id, 10_000, (s) => s.runtimeStatus === 'Running');
    expect(await raise(host, id, 'Approval', '{"by":"alice"}')).toBe(202);
    const s = await waitFor(host, id, 10_000);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual({ outcome: 'approved', data: { by: 'alice' } });
  });

  it('human interaction: the timer wins when no event comes', async () => {
    const started = Date.now();
    const id = await startOrchestration(host, 'approval', { timeoutMs: 500 });
    const s = await waitFor(host, id, 10_000);
    expect(s.output).toEqual({ outcome: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('runs sub-orchestrations (generated and explicit child ids)', async () => {
    const id = await startOrchestration(host, 'parent');
    const s = await waitFor(host, id);
    expect(s.output).toEqual({ first: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'], second: 110 });
    const child = await getStatus(host, `${id}-child`);
    expect(child.http).toBe(200);
    expect(child.body?.output).toBe(110);
  });

  it('retries an activity until it succeeds, waiting between attempts', async () => {
    const id = await startOrchestration(host, 'retrying', { key: `ok-${Date.now()}`, failTimes: 2, maxAttempts: 3 });
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { attempts: number }).attempts).toBe(3);
    const h = await getStatus(host, id, '?showHistory=true');
    const types = (h.body?.historyEvents ?? []).map((e) => e.EventType);
    expect(types.filter((t) => t === 'TaskFailed')).toHaveLength(2);
    expect(types.filter((t) => t === 'TimerFired')).toHaveLength(2);
  });

  it('retries to failure: timer after every failed attempt, then Failed with the activity error', async () => {
    const id = await startOrchestration(host, 'retrying', { key: `bad-${Date.now()}`, failTimes: 10, maxAttempts: 3 });
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toMatch(/^Orchestrator function 'retrying' failed: Activity function 'flaky' failed: flaky attempt 3 failed/);
    const h = await getStatus(host, id, '?showHistory=true');
    const types = (h.body?.historyEvents ?? []).map((e) => e.EventType);
    expect(types.filter((t) => t === 'TaskFailed')).toHaveLength(3);
    expect(types.filter((t) => t === 'TimerFired')).toHaveLength(3);
  });

  it('runs retry chains in parallel with other tasks (sequence numbers interleave correctly)', async () => {
    const started = Date.now();
    const id = await startOrchestration(host, 'parallelRetries');
    const running = await waitFor(host, id, 30_000, (x) => x.runtimeStatus !== 'Pending');
    expect(running.runtimeStatus).toBe('Running');
    const s = await waitFor(host, id, 40_000);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual({ attempts: [2, 4], doubled: 42, after: 'Hello after!', anyAttempts: 3 });
    // Task.any returned long before, but its uncancelled 4 s timer kept the instance Running (reference §10.1).
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
  });

  it('continueAsNew restarts with the new input and completes', async () => {
    const id = await startOrchestration(host, 'counter', 0);
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toBe(3);
    expect(s.input).toBe(3);
  });

  it('propagates an orchestrator error: Failed with the reference output, HTTP 200 (500 on request)', async () => {
    const id = await startOrchestration(host, 'failing');
    const s = await waitFor(host, id);
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toBe("Orchestrator function 'failing' failed: boom");
    expect((await getStatus(host, id)).http).toBe(200);
    expect((await getStatus(host, id, '?returnInternalServerErrorOnFailure=true')).http).toBe(500);
  });

  it('fails a non-deterministic orchestrator instead of applying a different action', async () => {
    const id = await startOrchestration(host, 'NonDeterministic');
    const s = await waitFor(host, id);
    expect(s.name).toBe('nondeterministic');
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toMatch(/Non-Deterministic workflow detected: action 0 was CallActivity:sayHello .* CallActivity:double/);
  });

  it('keeps events raised before the orchestrator waits, in order (FIFO per name)', async () => {
    const id = await startOrchestration(host, 'earlyEvents', 400);
    expect(await raise(host, id, 'E', '1')).toBe(202);
    expect(await raise(host, id, 'E', '"2"')).toBe(202);
    const s = await waitFor(host, id);
    expect(s.output).toEqual([1, '2']);
  });

  it('delivers event data as parsed JSON: 1234 is a number, "1234" a string', async () => {
    const a = await startOrchestration(host, 'eventType');
    const b = await startOrchestration(host, 'eventType');
    expect(await raise(host, a, 'data', '1234')).toBe(202);
    expect(await raise(host, b, 'data', '"1234"')).toBe(202);
    expect((await waitFor(host, a)).output).toEqual({ value: 1234, type: 'number' });
    expect((await waitFor(host, b)).output).toEqual({ value: '1234', type: 'string' });
  });
});
