/**
 * Provides the `@azure/functions-core` built-in module that the real Node worker injects. The @azure/functions
 * library (a CommonJS bundle) `require`s it lazily; we answer that require from `Module._load`, the same place
 * every CommonJS require goes through, so the app's own copy of the library finds it wherever it is installed.
 */
import Module from 'node:module';
import { Disposable } from './disposable.js';
import type { CoreFunctionMetadata, FunctionCallback, HookCallback, ProgrammingModel, RpcLogCategory, RpcLogLevel } from './core-types.js';

export const coreModuleName = '@azure/functions-core';

export interface CoreModuleBackend {
  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): () => void;
  registerHook(name: string, callback: HookCallback): Disposable;
  setProgrammingModel(model: ProgrammingModel): void;
  getProgrammingModel(): ProgrammingModel | undefined;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface CoreModule {
  readonly version: string;
  readonly hostVersion: string;
  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable;
  registerHook(name: string, callback: HookCallback): Disposable;
  setProgrammingModel(model: ProgrammingModel): void;
  getProgrammingModel(): ProgrammingModel | undefined;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
  Disposable: typeof Disposable;
}

export const localHostVersion = '4.0.0-local';

export function createCoreModule(backend: CoreModuleBackend): CoreModule {
  return {
    version: localHostVersion,
    hostVersion: localHostVersion,
    registerFunction: (metadata, callback) => new Disposable(backend.registerFunction(metadata, callback)),
    registerHook: (name, callback) => backend.registerHook(name, callback),
    setProgrammingModel: (model) => backend.setProgrammingModel(model),
    getProgrammingModel: () => backend.getProgrammingModel(),
    log: (level, category, message) => backend.log(level, category, message),
    Disposable,
  };
}

type LoadFn = (request: string, parent: unknown, isMain: boolean) => unknown;
interface ModuleInternals {
  _load: LoadFn;
}

let installed: CoreModule | undefined;

/** Installs the module for this process. One app per process, as with the real worker. */
export function installCoreModule(coreModule: CoreModule): void {
  if (installed) throw new Error('@azure/functions-core is already installed in this process (one app per host process).');
  installed = coreModule;
  const internals = Module as unknown as ModuleInternals;
  const originalLoad = internals._load;
  internals._load = function load(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (request === coreModuleName && installed) return installed;
    return originalLoad.call(this, request, parent, isMain);
  };
}
