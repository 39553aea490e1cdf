/**
 * What the durable-functions orchestrator handler returns (OrchestratorState), validated at the edge, and the
 * flattening of its action tree into the order in which the library hands out sequence numbers.
 */
import { z } from 'zod';

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export const actionTypeName: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ActionType).map(([name, code]) => [code, name]),
);

const retryOptionsSchema = z.object({
  firstRetryIntervalInMilliseconds: z.number(),
  maxNumberOfAttempts: z.number(),
  backoffCoefficient: z.number().optional(),
  maxRetryIntervalInMilliseconds: z.number().optional(),
  retryTimeoutInMilliseconds: z.number().optional(),
});

export interface Action {
  actionType: number;
  functionName?: string | undefined;
  input?: unknown;
  retryOptions?: z.infer<typeof retryOptionsSchema> | undefined;
  instanceId?: string | undefined;
  fireAt?: string | undefined;
  isCanceled?: boolean | undefined;
  externalEventName?: string | undefined;
  operation?: string | undefined;
  compoundActions?: Action[] | undefined;
}

const actionSchema: z.ZodType<Action> = z.lazy(() =>
  z.looseObject({
    actionType: z.number(),
    functionName: z.string().optional(),
    input: z.unknown().optional(),
    retryOptions: retryOptionsSchema.optional(),
    instanceId: z.string().optional(),
    fireAt: z.string().optional(),
    isCanceled: z.boolean().optional(),
    externalEventName: z.string().optional(),
    operation: z.string().optional(),
    compoundActions: z.array(actionSchema).optional(),
  }),
);

export const orchestratorStateSchema = z.looseObject({
  isDone: z.boolean(),
  actions: z.array(z.array(actionSchema)),
  output: z.unknown().optional(),
  error: z.string().optional(),
  customStatus: z.unknown().optional(),
  schemaVersion: z.number().optional(),
});

export type OrchestratorState = z.infer<typeof orchestratorStateSchema>;

/** Leaves of the action tree in depth-first order: the order in which the library numbers its tasks. */
export function flattenActions(state: OrchestratorState): Action[] {
  const out: Action[] = [];
  const visit = (a: Action): void => {
    if ((a.actionType === ActionType.WhenAll || a.actionType === ActionType.WhenAny) && a.compoundActions) {
      a.compoundActions.forEach(visit);
    } else {
      out.push(a);
    }
  };
  for (const group of state.actions) group.forEach(visit);
  return out;
}

/** How many sequence numbers an action consumes in the library's numbering. */
export function sequenceCost(a: Action): number {
  switch (a.actionType) {
    case ActionType.WaitForExternalEvent:
    case ActionType.ContinueAsNew:
      return 0;
    default:
      return 1;
  }
}

/**
 * Action inputs of callActivity, callActivityWithRetry and continueAsNew arrive with strings already JSON-encoded by
 * the library (Utils.processInput); sub-orchestration inputs arrive as plain values. Returns the JSON text of the value.
 */
export function actionInputJson(a: Action): string | null {
  if (a.input === undefined) return null;
  const preEncoded =
    a.actionType === ActionType.CallActivity ||
    a.actionType === ActionType.CallActivityWithRetry ||
    a.actionType === ActionType.ContinueAsNew;
  if (preEncoded && typeof a.input === 'string') {
    try {
      JSON.parse(a.input);
      return a.input;
    } catch {
      return JSON.stringify(a.input);
    }
  }
  return JSON.stringify(a.input);
}
