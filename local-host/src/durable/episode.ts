/**
 * One orchestrator episode as pure logic: `prepareEpisode` turns the instance, its history and a batch of inbox
 * messages into the trigger payload the durable-functions library expects (reference §10.6); `applyOutcome` turns the
 * library's answer (OrchestratorState or an OrchestrationFailureError message) into history events and new work.
 * No I/O here: the engine commits the result in one transaction.
 */
import { type ExecState, type RetryChain, retryDelayMs } from './exec-state.js';
import { EventType, type HistoryEvent } from './history-types.js';
import {
  type Action,
  ActionType,
  actionInputJson,
  actionTypeName,
  flattenActions,
  type OrchestratorState,
} from './orchestrator-state.js';
import type { EntityOp, InboxMessage, InstanceRow, NewActivityItem, NewInboxMessage, ParentRef } from './store.js';

/** Replay schema we announce: V2 (compound WhenAll/WhenAny actions, no long-timer splitting). */
export const upperSchemaVersion = 1;

export interface ChildStart {
  row: InstanceRow;
  start: NewInboxMessage;
}

export interface EpisodeWork {
  events: HistoryEvent[];
  inbox: NewInboxMessage[];
  activities: NewActivityItem[];
  children: ChildStart[];
  entityOps: { entityId: string; op: EntityOp }[];
}

export interface PreparedEpisode {
  instance: InstanceRow;
  state: ExecState;
  nowMs: number;
  /** OrchestratorStarted + the events taken from the inbox, in order. */
  newEvents: HistoryEvent[];
  /** Ids of the inbox messages this episode consumes (delivered or dropped). */
  consumed: number[];
  /** Work the host does on its own for retry chains, recorded before the orchestrator's new actions. */
  implicit: EpisodeWork;
  /** The orchestrationTrigger payload without its history (see `payloadObject` / `payloadJson`). */
  payload: OrchestrationTriggerPayload;
}

export interface OrchestrationTriggerPayload {
  history: HistoryEvent[];
  input: unknown;
  instanceId: string;
  isReplaying: boolean;
  parentInstanceId: string;
  upperSchemaVersion: number;
  upperSchemaVersionNew: number;
  maximumShortTimerDuration: string;
  longRunningTimerIntervalDuration: string;
  defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

export type EpisodeResult =
  | { kind: 'state'; state: OrchestratorState }
  | { kind: 'failed'; message: string; state?: OrchestratorState | undefined };

export interface EpisodeOutcome {
  instance: InstanceRow;
  /** Events to append (after the prepared new events). */
  work: EpisodeWork;
  /** True when a continue-as-new replaces the history with a fresh execution. */
  restartHistory: boolean;
  /** Set when the instance reached a final status. */
  finished: boolean;
}

let isoMs = NaN;
let isoText = '';
/** ISO-8601 text of a time; the last value is remembered (an episode stamps many events with the same time). */
export function iso(ms: number): string {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

function emptyWork(): EpisodeWork {
  return { events: [], inbox: [], activities: [], children: [], entityOps: [] };
}

function completionKey(e: HistoryEvent): number | undefined {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return e.TaskScheduledId;
    case EventType.TimerFired:
      return e.TimerId;
    default:
      return undefined;
  }
}

/**
 * Takes the batch an episode may consume: a message that completes a retry-chain task must be the first new event of
 * its episode, so that the sequence number the library allocates for the retry timer (or the next attempt) while it
 * processes that event comes before any number the orchestrator code allocates in the same episode.
 */
export function takeBatch(messages: readonly InboxMessage[]): InboxMessage[] {
  const out: InboxMessage[] = [];
  for (const m of messages) {
    if (m.chain && out.length > 0) break;
    out.push(m);
  }
  return out;
}

export function prepareEpisode(
  instance: InstanceRow,
  oldHistory: readonly HistoryEvent[],
  batch: readonly InboxMessage[],
  nowMs: number,
): PreparedEpisode {
  const state: ExecState = structuredClone(instance.state);
  const newEvents: HistoryEvent[] = [{ EventType: EventType.OrchestratorStarted, EventId: -1, Timestamp: iso(nowMs) }];
  const consumed: number[] = [];
  const implicit = emptyWork();
  let first = true;
  for (const m of batch) {
    consumed.push(m.id);
    if (m.executionId !== null && m.executionId !== instance.executionId) continue; // stale: an earlier execution
    const e = m.event;
    if (e.EventType === EventType.ExecutionStarted && oldHistory.some((h) => h.EventType === EventType.ExecutionStarted)) {
      continue;
    }
    if (e.EventType === EventType.EventRaised && e.Name !== undefined && state.entityRequests?.[e.Name] !== undefined) {
      delete state.open[String(state.entityRequests[e.Name])];
      delete state.entityRequests[e.Name];
    }
    const key = completionKey(e);
    if (key !== undefined) {
      const task = state.open[String(key)];
      delete state.open[String(key)];
      if (task?.chain !== undefined && first) advanceChain(instance, state, task.chain, e, nowMs, implicit);
    }
    newEvents.push({ ...e, Timestamp: e.Timestamp || iso(nowMs) });
    first = false;
  }
  const payload: OrchestrationTriggerPayload = {
    history: [],
    input: instance.input === null ? null : (JSON.parse(instance.input) as unknown),
    instanceId: instance.instanceId,
    isReplaying: oldHistory.length > 0,
    parentInstanceId: instance.parent?.instanceId ?? '',
    upperSchemaVersion,
    upperSchemaVersionNew: upperSchemaVersion,
    maximumShortTimerDuration: '6.00:00:00',
    longRunningTimerIntervalDuration: '3.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
  return { instance, state, nowMs, newEvents, consumed, implicit, payload };
}

/** The full trigger payload as an object: earlier events with IsPlayed true, this episode's with IsPlayed false. */
export function payloadObject(prep: PreparedEpisode, oldHistory: readonly HistoryEvent[]): OrchestrationTriggerPayload {
  return {
    ...prep.payload,
    history: [...oldHistory.map((e) => ({ ...e, IsPlayed: true })), ...prep.newEvents.map((e) => ({ ...e, IsPlayed: false }))],
  };
}

/**
 * The same payload as JSON text, built from the events' cached JSON (`oldJson[i]` = JSON of stored event i), so a long
 * history is not re-serialized on every episode. Equal to JSON.stringify(payloadObject(...)) up to key order.
 */
export function payloadJson(prep: PreparedEpisode, oldJson: readonly string[]): string {
  const parts: string[] = [];
  for (const j of oldJson) parts.push(`{"IsPlayed":true,${j.slice(1)}`);
  for (const e of prep.newEvents) parts.push(JSON.stringify({ IsPlayed: false, ...e }));
  const rest = JSON.stringify({ ...prep.payload, history: undefined });
  return `{"history":[${parts.join(',')}],${rest.slice(1)}`;
}

/** The runtime's side of `callActivityWithRetry` / `callSubOrchestratorWithRetry` (reference §10.2). */
function advanceChain(
  instance: InstanceRow,
  state: ExecState,
  chainId: number,
  e: HistoryEvent,
  nowMs: number,
  work: EpisodeWork,
): void {
  const chain = state.chains[String(chainId)];
  if (!chain) return;
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.SubOrchestrationInstanceCompleted:
      delete state.chains[String(chainId)];
      return;
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceFailed: {
      chain.failures += 1;
      const timerId = state.nextSeq++;
      const fireAtMs = nowMs + retryDelayMs(chain.retry, chain.failures);
      work.events.push({ EventType: EventType.TimerCreated, EventId: timerId, Timestamp: iso(nowMs), FireAt: iso(fireAtMs) });
      state.open[String(timerId)] = { kind: 'timer', chain: chainId };
      work.inbox.push({
        instanceId: instance.instanceId,
        executionId: instance.executionId,
        visibleMs: fireAtMs,
        event: { EventType: EventType.TimerFired, EventId: -1, Timestamp: '', TimerId: timerId, FireAt: iso(fireAtMs) },
        chain: true,
      });
      return;
    }
    case EventType.TimerFired: {
      if (chain.failures >= chain.retry.maxNumberOfAttempts) {
        delete state.chains[String(chainId)];
        return;
      }
      const seq = state.nextSeq++;
      scheduleTask(instance, state, chain, seq, chainId, nowMs, work);
      return;
    }
    default:
      return;
  }
}

function scheduleTask(
  instance: InstanceRow,
  state: ExecState,
  task: Pick<RetryChain, 'kind' | 'name' | 'input' | 'instanceId'>,
  seq: number,
  chainId: number | undefined,
  nowMs: number,
  work: EpisodeWork,
): void {
  const inChain = chainId !== undefined;
  if (task.kind === 'activity') {
    work.events.push({ EventType: EventType.TaskScheduled, EventId: seq, Timestamp: iso(nowMs), Name: task.name, Input: task.input });
    work.activities.push({
      instanceId: instance.instanceId,
      executionId: instance.executionId,
      taskId: seq,
      name: task.name,
      input: task.input,
      chain: inChain,
    });
    state.open[String(seq)] = inChain ? { kind: 'activity', chain: chainId } : { kind: 'activity' };
    return;
  }
  const childId = task.instanceId || `${instance.instanceId}:${seq}`;
  work.events.push({
    EventType: EventType.SubOrchestrationInstanceCreated,
    EventId: seq,
    Timestamp: iso(nowMs),
    Name: task.name,
    InstanceId: childId,
    Input: task.input,
  });
  const parent: ParentRef = {
    instanceId: instance.instanceId,
    executionId: instance.executionId,
    taskId: seq,
    chain: inChain,
  };
  const executionId = newExecutionId(instance.executionId, seq);
  work.children.push({
    row: {
      instanceId: childId,
      name: task.name,
      executionId,
      status: 'Pending',
      input: task.input,
      output: null,
      customStatus: null,
      createdMs: nowMs,
      updatedMs: nowMs,
      parent,
      state: { appliedActions: 0, nextSeq: 0, actionSeqs: [], open: {}, chains: {} },
    },
    start: {
      instanceId: childId,
      executionId,
      visibleMs: nowMs,
      event: {
        EventType: EventType.ExecutionStarted,
        EventId: -1,
        Timestamp: iso(nowMs),
        Name: task.name,
        Input: task.input,
        ParentInstanceId: instance.instanceId,
      },
      chain: false,
    },
  });
  state.open[String(seq)] = inChain ? { kind: 'suborch', chain: chainId } : { kind: 'suborch' };
}

/** Deterministic per parent task so a replayed episode (after a crash) yields the same child execution id. */
function newExecutionId(parentExecutionId: string, seq: number): string {
  return `${parentExecutionId.slice(0, 24)}${seq.toString(16).padStart(8, '0')}`;
}

export class UnsupportedActionError extends Error {}

function actionKey(a: Action): string {
  return `${actionTypeName[a.actionType] ?? a.actionType}:${a.functionName ?? a.externalEventName ?? ''}`;
}

export function applyOutcome(prep: PreparedEpisode, result: EpisodeResult): EpisodeOutcome {
  const { instance: before, state, nowMs } = prep;
  const work = emptyWork();
  const instance: InstanceRow = { ...before, status: 'Running', updatedMs: nowMs, state };
  const orchestratorState = result.state;
  if (orchestratorState) {
    instance.customStatus = orchestratorState.customStatus === undefined ? null : JSON.stringify(orchestratorState.customStatus);
  }
  let continueAsNew: Action | undefined;
  let failure: string | undefined = result.kind === 'failed' ? result.message : undefined;

  if (result.kind === 'state') {
    const leaves = flattenActions(result.state);
    state.actionKeys ??= [];
    for (let i = 0; i < Math.min(state.appliedActions, leaves.length); i++) {
      const leaf = leaves[i];
      const seq = state.actionSeqs[i];
      const known = state.actionKeys[i];
      if (leaf && known !== undefined && known !== actionKey(leaf)) {
        failure = `Non-Deterministic workflow detected: action ${i} was ${known} when first run and is ${actionKey(leaf)} on replay.`;
        break;
      }
      if (leaf?.actionType === ActionType.CreateTimer && leaf.isCanceled && seq !== undefined && seq >= 0) {
        delete state.open[String(seq)];
      }
    }
    for (let i = state.appliedActions; i < leaves.length && failure === undefined; i++) {
      const leaf = leaves[i] as Action;
      state.actionKeys.push(actionKey(leaf));
      try {
        const seq = applyAction(instance, state, leaf, nowMs, work);
        state.actionSeqs.push(seq);
        if (leaf.actionType === ActionType.ContinueAsNew) continueAsNew = leaf;
      } catch (err) {
        if (!(err instanceof UnsupportedActionError)) throw err;
        failure = err.message;
        break;
      }
    }
    state.appliedActions = Math.max(state.appliedActions, leaves.length);
  }

  const name = before.name;
  if (failure !== undefined) {
    const output = `Orchestrator function '${name}' failed: ${failure}`;
    instance.status = 'Failed';
    instance.output = JSON.stringify(output);
    work.events.push({ EventType: EventType.OrchestratorCompleted, EventId: -1, Timestamp: iso(nowMs) });
    work.events.push({
      EventType: EventType.ExecutionFailed,
      EventId: -1,
      Timestamp: iso(nowMs),
      OrchestrationStatus: 'Failed',
      Reason: output,
      Result: instance.output,
    });
    notifyParent(instance, work, nowMs, { failed: output });
    return { instance, work, restartHistory: false, finished: true };
  }

  work.events.push({ EventType: EventType.OrchestratorCompleted, EventId: -1, Timestamp: iso(nowMs) });
  const done = result.kind === 'state' && result.state.isDone;
  if (done && continueAsNew) {
    const input = actionInputJson(continueAsNew);
    const executionId = `${instance.executionId.slice(0, 16)}${nowMs.toString(16).padStart(16, '0')}`;
    instance.executionId = executionId;
    instance.input = input;
    instance.output = null;
    instance.createdMs = nowMs;
    instance.state = { appliedActions: 0, nextSeq: 0, actionSeqs: [], open: {}, chains: {} };
    work.inbox.push({
      instanceId: instance.instanceId,
      executionId,
      visibleMs: nowMs,
      event: { EventType: EventType.ExecutionStarted, EventId: -1, Timestamp: iso(nowMs), Name: name, Input: input },
      chain: false,
    });
    return { instance, work, restartHistory: true, finished: false };
  }
  if (done && Object.keys(state.open).length === 0) {
    const output = result.kind === 'state' && result.state.output !== undefined ? JSON.stringify(result.state.output) : 'null';
    instance.status = 'Completed';
    instance.output = output;
    work.events.push({
      EventType: EventType.ExecutionCompleted,
      EventId: -1,
      Timestamp: iso(nowMs),
      OrchestrationStatus: 'Completed',
      Result: output,
    });
    notifyParent(instance, work, nowMs, { result: output });
    return { instance, work, restartHistory: false, finished: true };
  }
  return { instance, work, restartHistory: false, finished: false };
}

/** Records one new action; returns the sequence number it consumed (-1 for none). */
function applyAction(instance: InstanceRow, state: ExecState, a: Action, nowMs: number, work: EpisodeWork): number {
  switch (a.actionType) {
    case ActionType.WaitForExternalEvent:
    case ActionType.ContinueAsNew:
      return -1;
    case ActionType.CallActivity:
    case ActionType.CallSubOrchestrator: {
      const seq = state.nextSeq++;
      const kind = a.actionType === ActionType.CallActivity ? 'activity' : 'suborch';
      scheduleTask(instance, state, { kind, name: a.functionName ?? '', input: actionInputJson(a), instanceId: a.instanceId }, seq, undefined, nowMs, work);
      return seq;
    }
    case ActionType.CallActivityWithRetry:
    case ActionType.CallSubOrchestratorWithRetry: {
      const seq = state.nextSeq++;
      const ro = a.retryOptions;
      const chain: RetryChain = {
        kind: a.actionType === ActionType.CallActivityWithRetry ? 'activity' : 'suborch',
        name: a.functionName ?? '',
        input: actionInputJson(a),
        retry: {
          firstRetryIntervalInMilliseconds: ro?.firstRetryIntervalInMilliseconds ?? 1000,
          maxNumberOfAttempts: ro?.maxNumberOfAttempts ?? 1,
          backoffCoefficient: ro?.backoffCoefficient ?? 1,
          maxRetryIntervalInMilliseconds: ro?.maxRetryIntervalInMilliseconds ?? 0,
        },
        failures: 0,
      };
      if (a.instanceId) chain.instanceId = a.instanceId;
      state.chains[String(seq)] = chain;
      scheduleTask(instance, state, chain, seq, seq, nowMs, work);
      return seq;
    }
    case ActionType.CreateTimer: {
      const seq = state.nextSeq++;
      const fireAtMs = a.fireAt ? Date.parse(a.fireAt) : nowMs;
      const fireAt = iso(Number.isFinite(fireAtMs) ? fireAtMs : nowMs);
      work.events.push({ EventType: EventType.TimerCreated, EventId: seq, Timestamp: iso(nowMs), FireAt: fireAt });
      if (!a.isCanceled) state.open[String(seq)] = { kind: 'timer' };
      work.inbox.push({
        instanceId: instance.instanceId,
        executionId: instance.executionId,
        visibleMs: Date.parse(fireAt),
        event: { EventType: EventType.TimerFired, EventId: -1, Timestamp: '', TimerId: seq, FireAt: fireAt },
        chain: false,
      });
      return seq;
    }
    case ActionType.CallEntity:
    case ActionType.SignalEntity: {
      const seq = state.nextSeq++;
      const entityId = a.instanceId ?? '';
      const signal = a.actionType === ActionType.SignalEntity;
      // Deterministic, so a replay after a crash sends the same request id.
      const requestId = `${instance.instanceId}:${instance.executionId}:${seq}`;
      const op: EntityOp = { name: a.operation ?? '', signal, requestId };
      if (a.input !== undefined) op.input = JSON.stringify(a.input);
      if (!signal) op.parent = { instanceId: instance.instanceId, executionId: instance.executionId };
      work.events.push({
        EventType: EventType.EventSent,
        EventId: seq,
        Timestamp: iso(nowMs),
        Name: 'op',
        InstanceId: entityId,
        Input: JSON.stringify({ id: requestId, op: op.name, signal, input: op.input, parent: instance.instanceId }),
      });
      work.entityOps.push({ entityId, op });
      if (!signal) {
        state.open[String(seq)] = { kind: 'entity' };
        (state.entityRequests ??= {})[requestId] = seq;
      }
      return seq;
    }
    default:
      throw new UnsupportedActionError(
        `${actionTypeName[a.actionType] ?? `action type ${a.actionType}`} is not supported by this local host (entity locks and durable HTTP are not implemented).`,
      );
  }
}

function notifyParent(instance: InstanceRow, work: EpisodeWork, nowMs: number, outcome: { result: string } | { failed: string }): void {
  const parent = instance.parent;
  if (!parent) return;
  const event: HistoryEvent =
    'result' in outcome
      ? { EventType: EventType.SubOrchestrationInstanceCompleted, EventId: -1, Timestamp: '', TaskScheduledId: parent.taskId, Result: outcome.result }
      : {
          EventType: EventType.SubOrchestrationInstanceFailed,
          EventId: -1,
          Timestamp: '',
          TaskScheduledId: parent.taskId,
          Reason: outcome.failed,
          Details: '',
        };
  work.inbox.push({ instanceId: parent.instanceId, executionId: parent.executionId, visibleMs: nowMs, event, chain: parent.chain === true });
}
