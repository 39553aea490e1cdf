/**
 * The engine's per-execution bookkeeping, stored with the instance row. It mirrors how the durable-functions library
 * numbers its tasks (one sequence number per scheduled activity, timer, sub-orchestration), so that completions can be
 * addressed by the ids the library expects, and it tracks what is still open (§10.1: open tasks keep an instance Running).
 */
export interface RetryPolicy {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient: number;
  maxRetryIntervalInMilliseconds: number;
}

export interface RetryChain {
  kind: 'activity' | 'suborch';
  name: string;
  /** JSON text of the input. */
  input: string | null;
  /** Sub-orchestration instance id given by the orchestrator (retries reuse it). */
  instanceId?: string;
  retry: RetryPolicy;
  failures: number;
}

export interface OpenTask {
  kind: 'activity' | 'timer' | 'suborch' | 'entity';
  /** Id of the retry chain this task belongs to. */
  chain?: number;
}

export interface ExecState {
  /** Number of (flattened) library actions already applied in this execution. */
  appliedActions: number;
  /** Next sequence number the library will hand out. */
  nextSeq: number;
  /** For each applied action, the sequence number it got (-1 when it consumes none, e.g. waitForExternalEvent). */
  actionSeqs: number[];
  /** For each applied action, `<ActionType>:<function or event name>`, to detect non-deterministic replays. */
  actionKeys?: string[];
  open: Record<string, OpenTask>;
  chains: Record<string, RetryChain>;
  /** Entity calls awaiting a response: request id → sequence number. */
  entityRequests?: Record<string, number>;
}

export function newExecState(): ExecState {
  return { appliedActions: 0, nextSeq: 0, actionSeqs: [], open: {}, chains: {} };
}

/** Delay before retry number `failures` (1-based), as DTFx RetryInterceptor computes it. */
export function retryDelayMs(policy: RetryPolicy, failures: number): number {
  const raw = policy.firstRetryIntervalInMilliseconds * Math.pow(policy.backoffCoefficient || 1, failures - 1);
  const cap = policy.maxRetryIntervalInMilliseconds > 0 ? policy.maxRetryIntervalInMilliseconds : Number.MAX_SAFE_INTEGER;
  return Math.max(0, Math.min(raw, cap));
}
