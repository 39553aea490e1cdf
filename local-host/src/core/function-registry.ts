/** Functions the app registered through `registerFunction`, as the host sees them (FunctionInfo) and as the model needs them. */
import type { BindingInfo, FunctionInfo } from '../runtime/extension.js';
import type { CoreFunctionMetadata, FunctionCallback, RpcFunctionMetadata } from './core-types.js';
import { HostError } from './errors.js';

export interface RegisteredFunction {
  readonly info: FunctionInfo;
  readonly metadata: RpcFunctionMetadata;
  readonly callback: FunctionCallback;
}

export class FunctionRegistry {
  readonly #byName = new Map<string, RegisteredFunction>();
  #sealed = false;

  register(metadata: CoreFunctionMetadata, callback: FunctionCallback): () => void {
    if (this.#sealed) throw new Error('A function can only be registered during app startup.');
    const name = metadata.name ?? metadata.functionId;
    if (!name) throw new Error('registerFunction: metadata has neither "name" nor "functionId".');
    if (typeof callback !== 'function') throw new Error(`registerFunction: the callback of "${name}" is not a function.`);
    const key = name.toLowerCase();
    if (this.#byName.has(key)) throw new Error(`A function named "${name}" is already registered (names are case-insensitive).`);
    const info = toFunctionInfo(name, metadata);
    const rpcMetadata: RpcFunctionMetadata = {
      name,
      functionId: metadata.functionId ?? name,
      bindings: metadata.bindings,
      rawBindings: info.bindings.map((b) => JSON.stringify(b)),
      scriptFile: 'n/a',
      retryOptions: metadata.retryOptions,
    };
    this.#byName.set(key, { info, metadata: rpcMetadata, callback });
    return () => {
      if (this.#sealed) throw new Error('A function can only be disposed during app startup.');
      this.#byName.delete(key);
    };
  }

  /** After startup no function may be added or removed (as in the real worker). */
  seal(): void {
    this.#sealed = true;
  }

  get(name: string): RegisteredFunction | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  require(name: string): RegisteredFunction {
    const fn = this.get(name);
    if (!fn) throw new HostError(404, `Function "${name}" is not registered.`);
    return fn;
  }

  list(): RegisteredFunction[] {
    return [...this.#byName.values()];
  }

  infos(): FunctionInfo[] {
    return this.list().map((f) => f.info);
  }
}

/** A binding type is a trigger when it ends with "trigger" (the library's own rule). */
export function isTriggerType(type: string): boolean {
  return /trigger$/i.test(type);
}

function toFunctionInfo(name: string, metadata: CoreFunctionMetadata): FunctionInfo {
  const bindings: BindingInfo[] = Object.entries(metadata.bindings).map(([bindingName, b]) => {
    const type = typeof b.type === 'string' ? b.type : '';
    const direction = b.direction === 'out' || b.direction === 'inout' ? b.direction : 'in';
    return { ...b, name: bindingName, type, direction };
  });
  const triggers = bindings.filter((b) => isTriggerType(b.type));
  const trigger = triggers[0];
  if (!trigger || triggers.length > 1) {
    throw new Error(`Function "${name}" must have exactly one trigger binding (found ${triggers.length}).`);
  }
  return { name, trigger, bindings };
}
