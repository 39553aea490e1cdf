/**
 * DTFx-shaped history events as the durable-functions library reads them (`EventType` numeric, `Result`/`Input` as
 * JSON strings, completions keyed by `TaskScheduledId` / `TimerId` / `Name`).
 */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export type EventTypeCode = (typeof EventType)[keyof typeof EventType];

export const eventTypeName: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(EventType).map(([name, code]) => [code, name]),
);

/** One stored history event. Optional fields appear only on the event types that carry them. */
export interface HistoryEvent {
  EventType: EventTypeCode;
  EventId: number;
  IsPlayed?: boolean;
  /** ISO 8601 with milliseconds. */
  Timestamp: string;
  Name?: string;
  /** JSON text. */
  Input?: string | null;
  /** JSON text. */
  Result?: string | null;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  Reason?: string;
  Details?: string;
  OrchestrationStatus?: string;
  ParentInstanceId?: string;
}

export type RuntimeStatus =
  | 'Running'
  | 'Completed'
  | 'ContinuedAsNew'
  | 'Failed'
  | 'Canceled'
  | 'Terminated'
  | 'Pending'
  | 'Suspended';

export const runtimeStatuses: readonly RuntimeStatus[] = [
  'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Canceled', 'Terminated', 'Pending', 'Suspended',
];

/** Statuses from which an instance id may be reused and to which events are refused with 410. */
export const terminalStatuses: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export function isTerminal(status: RuntimeStatus): boolean {
  return terminalStatuses.has(status);
}
