/** The status object of GET instances/{id} and the list API (EXT StatusResponsePayload; key order matters). */
import { EventType, eventTypeName, type HistoryEvent } from '../history-types.js';
import type { InstanceRow } from '../store.js';

/** `ToString("s") + "Z"`: whole seconds, no fraction. */
export function statusTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Stored values are JSON text; the API shows parsed JSON, or the raw string when it does not parse. */
export function parseStored(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface StatusOptions {
  showInput: boolean;
  showHistory: boolean;
  showHistoryOutput: boolean;
}

export function statusPayload(row: InstanceRow, opts: StatusOptions, history?: readonly HistoryEvent[]): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: row.name,
    instanceId: row.instanceId,
    runtimeStatus: row.status,
    input: opts.showInput ? parseStored(row.input) : null,
    customStatus: parseStored(row.customStatus),
    output: parseStored(row.output),
    createdTime: statusTime(row.createdMs),
    lastUpdatedTime: statusTime(row.updatedMs),
  };
  if (opts.showHistory && history && row.status !== 'Pending') {
    body.historyEvents = historyForApi(history, opts.showHistoryOutput);
  }
  return body;
}

/** Reshapes stored history the way EXT GetDurableOrchestrationStatusAsync does (reference §2). */
export function historyForApi(history: readonly HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated) scheduled.set(e.EventId, e);
  }
  const completionTypes: ReadonlySet<number> = new Set([
    EventType.TaskCompleted,
    EventType.TaskFailed,
    EventType.SubOrchestrationInstanceCompleted,
    EventType.SubOrchestrationInstanceFailed,
  ]);
  const folded = new Set<number>();
  for (const e of history) {
    if (completionTypes.has(e.EventType) && e.TaskScheduledId !== undefined && scheduled.has(e.TaskScheduledId)) folded.add(e.TaskScheduledId);
  }
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted) continue;
    if ((e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated) && folded.has(e.EventId)) continue;
    const item: Record<string, unknown> = { EventType: eventTypeName[e.EventType] ?? String(e.EventType) };
    switch (e.EventType) {
      case EventType.ExecutionStarted:
        item.FunctionName = e.Name;
        if (showOutput) item.Input = parseStored(e.Input);
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const s = e.TaskScheduledId === undefined ? undefined : scheduled.get(e.TaskScheduledId);
        if (s) {
          item.FunctionName = s.Name;
          item.ScheduledTime = s.Timestamp;
        }
        if (e.Reason !== undefined) item.Reason = e.Reason;
        if (e.Details) item.Details = e.Details;
        if (showOutput && e.Result !== undefined) item.Result = parseStored(e.Result);
        break;
      }
      case EventType.TimerCreated:
      case EventType.TimerFired:
        item.FireAt = e.FireAt;
        break;
      case EventType.EventRaised:
        item.Name = e.Name;
        if (showOutput) item.Input = parseStored(e.Input);
        break;
      case EventType.ExecutionCompleted:
      case EventType.ExecutionFailed:
        item.OrchestrationStatus = e.OrchestrationStatus;
        if (e.Reason !== undefined) item.Reason = e.Reason;
        if (showOutput) item.Result = parseStored(e.Result);
        break;
      case EventType.ExecutionTerminated:
        item.Input = parseStored(e.Input);
        break;
      default:
        if (e.Name !== undefined) item.Name = e.Name;
    }
    item.Timestamp = e.Timestamp;
    out.push(item);
  }
  return out;
}
