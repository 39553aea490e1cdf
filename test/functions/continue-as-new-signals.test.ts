// No signal may be lost at continueAsNew. The real `callLifecycle` (the compiled app) runs in the local host with a
// continue-as-new every 3 signals; the instance is suspended while several signals are raised, so that on resume they
// reach the orchestrator in ONE history batch (the real runtime buffers events of a suspended instance the same way).
// durable-functions stops reading a batch at the event after which the code called continueAsNew, and drops what it
// buffered for a wait that was not open: a signal later in the batch, or one that arrived while an activity ran, was
// lost with the old execution before the drain. What the next execution carries (`input.carried`) shows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callSchema } from '../../contracts/graph/index.js';
import type { MediaEvent } from '../../contracts/worker-api/index.js';
import { summarizeIncomingCall } from '../../functions/domain/incoming-call.js';
import type { AnswerOutcome, CallOrchestrationInput, CallSignal, LifecycleSettings } from '../../functions/domain/signals.js';
import { hasEntry, LOCAL_HOST_ENTRY, startLocalHostForTest, type RunningPart } from '../helpers/start-part.js';

const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';
const WORKER = 'w-a';
const SESSION = 's-1';
const HOUR = 3_600_000;
const settings: LifecycleSettings = {
  establishTimeoutMs: HOUR, keepAliveIntervalMs: HOUR, watchdogIntervalMs: HOUR, answerWaitTimeoutMs: HOUR,
  recordingConfirmTimeoutMs: HOUR, workerHeartbeatTimeoutMs: HOUR, maxEventsPerExecution: 3,
};

let host: RunningPart;
let webhooks: string;

beforeAll(async () => {
  if (!hasEntry(LOCAL_HOST_ENTRY)) return;
  // No Graph, Blob or worker settings: the orchestrator needs none, and an activity fails (after its retries).
  host = await startLocalHostForTest();
  webhooks = `${host.url}/runtime/webhooks/durabletask`;
});

afterAll(async () => {
  await host?.stop();
});

function answered(callId: string): AnswerOutcome {
  const incoming = callSchema.parse({
    state: 'incoming', direction: 'Incoming', callChainId: `chain-${callId}`, tenantId: TENANT, myParticipantId: 'bot-p',
    source: { id: 'p-user', identity: { user: { id: 'D4E5F6A7-0000-4000-8000-0000000000AA', displayName: 'Alice' } } },
    incomingContext: { observedParticipantId: 'p-user', sourceParticipantId: 'p-user' },
  });
  const at = new Date().toISOString();
  return {
    outcome: 'answered', call: summarizeIncomingCall(callId, TENANT, incoming),
    policy: { source: 'default', region: 'eu', retentionClass: 'standard', resiliency: 'failOpen', record: true },
    workerId: WORKER, sessionId: SESSION, receivedAt: at, answeredAt: at, answerLatencyMs: 10,
  };
}

function media(callId: string, eventId: string, type: 'heartbeat' | 'mediaFlowing' | 'bridgeDisconnected'): CallSignal {
  const base = { callId, sessionId: SESSION, workerId: WORKER, at: new Date().toISOString(), eventId };
  const event: MediaEvent = type === 'heartbeat'
    ? { ...base, type, streams: 1, framesReceived: 10, bufferedBytes: 0 }
    : type === 'mediaFlowing' ? { ...base, type, streamId: 'mixed' } : { ...base, type, reason: 'test' };
  return { type: 'media', dedupId: `media:${WORKER}:${eventId}`, event };
}

/** A roster snapshot: a change the orchestrator sends to the worker (an activity, which fails here after retries). */
function roster(callId: string, dedupId: string): CallSignal {
  return {
    type: 'graph', dedupId, receivedAt: new Date().toISOString(),
    notification: {
      kind: 'roster', callId, dedupId, changeType: 'updated', sequenceNumber: null, delta: false,
      participants: [{ id: 'p-user', info: { identity: { user: { id: 'D4E5F6A7-0000-4000-8000-0000000000AA', displayName: 'Alice' } } }, mediaStreams: [{ mediaType: 'audio', sourceId: '1', direction: 'sendReceive' }] }],
    },
  };
}

async function post(url: string, body?: unknown): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  await res.arrayBuffer();
  return res.status;
}

interface Status { runtimeStatus: string; customStatus: unknown; input: CallOrchestrationInput }

async function status(id: string): Promise<Status> {
  const res = await fetch(`${webhooks}/instances/${encodeURIComponent(id)}`);
  if (res.status !== 200 && res.status !== 202) throw new Error(`status ${res.status}`);
  return (await res.json()) as Status;
}

async function until(id: string, test: (s: Status) => boolean, timeoutMs: number): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let last: Status | null = null;
  while (Date.now() < deadline) {
    last = await status(id);
    if (test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`instance ${id} did not reach the expected state: ${JSON.stringify(last).slice(0, 600)}`);
}

/** Starts an answered call's orchestration and waits for its first wait on the signal channel. */
async function startCall(callId: string): Promise<void> {
  const input: CallOrchestrationInput = { callId, answer: answered(callId), settings, early: [], carried: null };
  expect(await post(`${webhooks}/orchestrators/callLifecycle/${callId}`, input)).toBe(202);
  await until(callId, (s) => s.customStatus !== null, 30_000);
}

/** Raises the signals while the instance is suspended, then resumes it: one batch. */
async function raiseInOneBatch(callId: string, signals: CallSignal[]): Promise<void> {
  expect(await post(`${webhooks}/instances/${callId}/suspend?reason=batch`)).toBe(202);
  await until(callId, (s) => s.runtimeStatus === 'Suspended', 10_000);
  for (const s of signals) expect(await post(`${webhooks}/instances/${callId}/raiseEvent/signal`, s)).toBe(202);
  expect(await post(`${webhooks}/instances/${callId}/resume?reason=batch`)).toBe(202);
}

interface Carried { seen: string[]; mediaFlowing: boolean; media: { disconnects: number } }

/** The model a continueAsNew carried into the next execution (the first one, or the first that has `dedupId`). */
async function carried(callId: string, dedupId?: string): Promise<Carried> {
  const has = (x: Status): boolean => {
    const c = x.input?.carried as Carried | null | undefined;
    return c !== null && c !== undefined && (dedupId === undefined || c.seen.includes(dedupId));
  };
  const s = await until(callId, has, 60_000);
  return s.input.carried as Carried;
}

describe.skipIf(!hasEntry(LOCAL_HOST_ENTRY))('continueAsNew loses no signal (callLifecycle in the local host)', () => {
  it('a signal later in the batch than the one that reaches the limit is processed before the execution ends', async () => {
    const callId = `can-batch-${Date.now()}`;
    await startCall(callId);
    const signals = [media(callId, 'hb-1', 'heartbeat'), media(callId, 'hb-2', 'heartbeat'), media(callId, 'hb-3', 'heartbeat'), media(callId, 'flow-1', 'mediaFlowing')];
    await raiseInOneBatch(callId, signals);
    const m = await carried(callId);
    expect(m.seen).toEqual(expect.arrayContaining(signals.map((s) => s.dedupId)));
    expect(m.mediaFlowing).toBe(true);
  });

  it('a signal buffered while an activity ran (no wait open) is processed before the execution ends', async () => {
    const callId = `can-deferred-${Date.now()}`;
    await startCall(callId);
    // The roster (3rd signal, the limit) makes the orchestrator call sendRoster; mediaFlowing arrives with no wait open.
    const signals = [media(callId, 'hb-1', 'heartbeat'), media(callId, 'hb-2', 'heartbeat'), roster(callId, 'roster-1'), media(callId, 'flow-1', 'mediaFlowing')];
    await raiseInOneBatch(callId, signals);
    const m = await carried(callId);
    expect(m.seen).toEqual(expect.arrayContaining(signals.map((s) => s.dedupId)));
    expect(m.mediaFlowing).toBe(true);
  });

  it('a signal sent again after continueAsNew is not applied twice (the dedup ids are carried over)', async () => {
    const callId = `can-dedup-${Date.now()}`;
    await startCall(callId);
    const lost = media(callId, 'disc-1', 'bridgeDisconnected');
    await raiseInOneBatch(callId, [media(callId, 'hb-1', 'heartbeat'), media(callId, 'hb-2', 'heartbeat'), lost]);
    expect((await carried(callId)).media.disconnects).toBe(1);
    // The second execution gets the same event again (a worker re-post), then two more signals: the next continueAsNew.
    const last = media(callId, 'hb-4', 'heartbeat');
    await raiseInOneBatch(callId, [lost, media(callId, 'hb-3', 'heartbeat'), last]);
    const second = await carried(callId, last.dedupId);
    expect(second.media.disconnects).toBe(1);
    expect(second.seen).toEqual(expect.arrayContaining([lost.dedupId, last.dedupId]));
  });
});
