/**
 * Runs one invocation the way the Node worker's InvocationHandler does: build the RPC invocation request, then
 * programmingModel.getInvocationModel(coreCtx) → getArguments() → preInvocation hooks → invokeFunction() →
 * postInvocation hooks → getResponse(). All conversions are the library's own.
 */
import { randomUUID } from 'node:crypto';
import type { BindingInfo, FunctionInfo, InvocationRequest, InvocationResult, RpcTypedData } from '../runtime/extension.js';
import type {
  CoreInvocationContext,
  InvocationState,
  ProgrammingModel,
  RpcInvocationRequest,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
} from './core-types.js';
import type { FunctionRegistry } from './function-registry.js';
import type { HookRegistry } from './hook-registry.js';
import type { JsonLogger } from './log.js';

export type InputResolver = (binding: BindingInfo, fn: FunctionInfo) => Promise<RpcTypedData>;

export interface InvokerDeps {
  registry: FunctionRegistry;
  hooks: HookRegistry;
  programmingModel(): ProgrammingModel | undefined;
  resolveInput: InputResolver;
  log: JsonLogger;
}

export interface InvokeOptions {
  /** Use a given invocation id (the HTTP stream proxy needs to know it before the invocation starts). */
  invocationId?: string;
  traceParent?: string;
}

interface LogEntry {
  level: RpcLogLevel;
  category: RpcLogCategory;
  message: string;
  invocationContext: unknown;
}

export class ReadOnlyError extends TypeError {
  constructor(name: string) {
    super(`Cannot assign to read only property '${name}'`);
  }
}

export class Invoker {
  readonly #deps: InvokerDeps;

  constructor(deps: InvokerDeps) {
    this.#deps = deps;
  }

  async invoke(functionName: string, request: InvocationRequest, options: InvokeOptions = {}): Promise<InvocationResult> {
    const { registry, hooks } = this.#deps;
    const fn = registry.require(functionName);
    const model = this.#deps.programmingModel();
    if (!model) throw new Error('The app registered no programming model (only the v4 @azure/functions model is supported).');

    const invocationId = options.invocationId ?? randomUUID();
    const inputData: RpcParameterBinding[] = [{ name: fn.info.trigger.name, data: request.triggerData }];
    for (const binding of fn.info.bindings) {
      if (binding === fn.info.trigger || binding.direction === 'out') continue;
      inputData.push({ name: binding.name, data: request.inputData?.[binding.name] ?? (await this.#deps.resolveInput(binding, fn.info)) });
    }
    const rpcRequest: RpcInvocationRequest = {
      invocationId,
      functionId: fn.metadata.functionId,
      inputData,
      triggerMetadata: request.triggerMetadata ?? {},
      traceContext: options.traceParent ? { traceParent: options.traceParent, traceState: '', attributes: {} } : null,
      retryContext: null,
    };
    // The child logger is built on first use: most invocations log nothing at the default level.
    const parentLog = this.#deps.log;
    let childLog: JsonLogger | undefined;
    const log = (): JsonLogger => (childLog ??= parentLog.child({ functionName: fn.info.name, invocationId }));
    const debug = parentLog.enabled('debug');
    const current: { context?: unknown } = {};
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: rpcRequest,
      metadata: fn.metadata,
      state: undefined,
      log: (level, category, message) => this.#emit(log(), { level, category, message, invocationContext: current.context }, coreCtx.state),
    };

    const started = process.hrtime.bigint();
    if (debug) log().debug('invocation started');
    const invocModel = await model.getInvocationModel(coreCtx);
    const { context, inputs: initialInputs } = await invocModel.getArguments();
    current.context = context;
    const hookData: Record<string, unknown> = {};
    const appHookData = hooks.appHookData;
    // Hook contexts are built only when hooks are registered (the common case has none; the result is the same).
    let inputs = initialInputs;
    let callback = fn.callback;
    if (hooks.has('preInvocation')) {
      const preCtx = readOnlyHookContext(hookData, appHookData, context, {
        functionCallback: fn.callback,
        inputs: initialInputs,
      });
      await withState(coreCtx, 'preInvocationHooks', () => hooks.run('preInvocation', preCtx));
      inputs = preCtx.inputs as unknown[];
      callback = preCtx.functionCallback as typeof fn.callback;
    }
    let result: unknown = null;
    let error: unknown = null;
    try {
      result = await withState(coreCtx, 'invocation', () => invocModel.invokeFunction(context, inputs, callback));
    } catch (err) {
      error = err;
    }
    if (hooks.has('postInvocation')) {
      const postCtx = readOnlyHookContext(hookData, appHookData, context, { inputs, result, error });
      await withState(coreCtx, 'postInvocationHooks', () => hooks.run('postInvocation', postCtx));
      result = postCtx.result;
      error = postCtx.error;
    }
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (error !== null && error !== undefined) {
      log().warn('invocation failed', { durationMs, error: describeError(error) });
      throw error;
    }
    const response = await invocModel.getResponse(context, result);
    if (debug) log().debug('invocation succeeded', { durationMs });
    const outputData: InvocationResult['outputData'] = [];
    for (const out of response.outputData ?? []) {
      if (out.name && out.data) outputData.push({ name: out.name, data: out.data });
    }
    return { returnValue: response.returnValue ?? null, outputData };
  }

  #emit(log: JsonLogger, entry: LogEntry, state: InvocationState | undefined): void {
    const { level, category, message } = entry;
    this.#deps.hooks.runLogHooks({ ...entry, hookData: {}, appHookData: this.#deps.hooks.appHookData });
    const fields = { category, ...(state ? { state } : {}) };
    switch (level) {
      case 'error':
      case 'critical':
        log.error(message, fields);
        break;
      case 'warning':
        log.warn(message, fields);
        break;
      case 'information':
        if (category === 'user') log.info(message, fields);
        else log.debug(message, fields);
        break;
      case 'none':
        break;
      default:
        log.debug(message, fields);
    }
  }
}

async function withState<T>(coreCtx: CoreInvocationContext, state: InvocationState, run: () => Promise<T>): Promise<T> {
  coreCtx.state = state;
  try {
    return await run();
  } finally {
    coreCtx.state = undefined;
  }
}

/** A hook context whose hookData/appHookData/invocationContext cannot be replaced (the worker's contract). */
function readOnlyHookContext(
  hookData: Record<string, unknown>,
  appHookData: Record<string, unknown>,
  invocationContext: unknown,
  writable: Record<string, unknown>,
): Record<string, unknown> {
  const ctx: Record<string, unknown> = { ...writable };
  const fixed: Record<string, unknown> = { hookData, appHookData, invocationContext };
  for (const [key, value] of Object.entries(fixed)) {
    Object.defineProperty(ctx, key, {
      enumerable: true,
      get: () => value,
      set: () => {
        throw new ReadOnlyError(key);
      },
    });
  }
  return ctx;
}

export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}
