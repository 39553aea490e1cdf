/**
 * The in-process stand-in for the Node worker: owns the function registry, hooks and programming model that the
 * injected `@azure/functions-core` module feeds, loads the app, runs appStart/appTerminate hooks and exposes invoke().
 */
import type { InvocationRequest, InvocationResult } from '../runtime/extension.js';
import { importEntryFiles, readMain, resolveEntryFiles } from './app-loader.js';
import { createCoreModule, installCoreModule } from './core-module.js';
import type { ProgrammingModel } from './core-types.js';
import { FunctionRegistry } from './function-registry.js';
import { HookRegistry } from './hook-registry.js';
import { type InputResolver, type InvokeOptions, Invoker } from './invoker.js';
import type { JsonLogger } from './log.js';

export interface LoadedApp {
  entryFiles: string[];
  /** Capabilities the programming model reported (e.g. HttpUri when the app enabled HTTP streaming). */
  capabilities: Record<string, string>;
}

export class AppRuntime {
  readonly registry = new FunctionRegistry();
  readonly hooks = new HookRegistry();
  readonly #log: JsonLogger;
  readonly #invoker: Invoker;
  #model: ProgrammingModel | undefined;
  #capabilities: Record<string, string> = {};

  constructor(log: JsonLogger, resolveInput: InputResolver) {
    this.#log = log;
    this.#invoker = new Invoker({
      registry: this.registry,
      hooks: this.hooks,
      programmingModel: () => this.#model,
      resolveInput,
      log,
    });
    installCoreModule(
      createCoreModule({
        registerFunction: (metadata, callback) => this.registry.register(metadata, callback),
        registerHook: (name, callback) => this.hooks.register(name, callback),
        setProgrammingModel: (model) => {
          this.#log.debug('programming model set', { model: model.name, version: model.version });
          this.#model = model;
        },
        getProgrammingModel: () => this.#model,
        log: (level, category, message) => {
          this.hooks.runLogHooks({ level, category, message, hookData: {}, appHookData: this.hooks.appHookData });
          if (level === 'error' || level === 'critical') this.#log.error(message, { category });
          else if (level === 'warning') this.#log.warn(message, { category });
          else this.#log.debug(message, { category, level });
        },
      }),
    );
  }

  get capabilities(): Readonly<Record<string, string>> {
    return this.#capabilities;
  }

  async load(appDir: string): Promise<LoadedApp> {
    const main = await readMain(appDir);
    const entryFiles = await resolveEntryFiles(appDir, main);
    await importEntryFiles(entryFiles);
    if (!this.#model) {
      throw new Error('The app did not register a programming model: is it a v4 @azure/functions app (app.http(...), app.timer(...))?');
    }
    await this.hooks.run('appStart', { hookData: {}, appHookData: this.hooks.appHookData, functionAppDirectory: appDir });
    this.#capabilities = (await this.#model.getCapabilities?.({})) ?? {};
    this.registry.seal();
    return { entryFiles, capabilities: this.#capabilities };
  }

  invoke(functionName: string, request: InvocationRequest, options?: InvokeOptions): Promise<InvocationResult> {
    return this.#invoker.invoke(functionName, request, options);
  }

  async terminate(): Promise<void> {
    await this.hooks.run('appTerminate', { hookData: {}, appHookData: this.hooks.appHookData });
  }
}
