/**
 * Messages between the host and the app thread (the stand-in for the real host's gRPC channel to the Node worker).
 * Everything that crosses is structured-clone data: the worker protocol's RPC shapes, and errors as plain records.
 */
import type { FunctionInfo, InvocationRequest, InvocationResult, RpcTypedData } from '../runtime/extension.js';
import { HostError } from './errors.js';
import type { InvokeOptions } from './invoker.js';
import type { LogLevelName } from './log.js';

/** What the thread is started with (`workerData`). */
export interface AppThreadData {
  appDir: string;
  logLevel: LogLevelName;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Set for a HostError (its HTTP status). */
  status?: number;
}

export interface LoadedAppInfo {
  entryFiles: string[];
  capabilities: Record<string, string>;
  functions: FunctionInfo[];
}

export type ToAppThread =
  | { kind: 'invoke'; id: number; functionName: string; request: InvocationRequest; options?: InvokeOptions }
  | { kind: 'terminate'; id: number };

export type FromAppThread =
  | { kind: 'loaded'; app: LoadedAppInfo }
  | { kind: 'loadFailed'; error: SerializedError }
  | { kind: 'done'; id: number; result?: InvocationResult }
  | { kind: 'failed'; id: number; error: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const out: SerializedError = { name: err.name, message: err.message };
  if (err.stack !== undefined) out.stack = err.stack;
  if (err instanceof HostError) out.status = err.status;
  return out;
}

export function deserializeError(e: SerializedError): Error {
  const err = e.status !== undefined ? new HostError(e.status, e.message) : new Error(e.message);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/** Input bindings (other than the trigger) that the host resolves before an invocation crosses to the app thread. */
export function inputBindingsOf(fn: FunctionInfo): FunctionInfo['bindings'] {
  return fn.bindings.filter((b) => b !== fn.trigger && b.direction !== 'out' && b.name !== fn.trigger.name);
}

export type ResolvedInputs = Record<string, RpcTypedData>;
