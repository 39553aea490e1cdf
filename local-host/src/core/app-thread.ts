/**
 * The host's side of the app thread (see app-thread-main.ts): starts it, resolves input bindings through the
 * extensions, sends invocations and matches their results. If the thread dies (an uncaught error in app code), the
 * invocations in flight fail and a new thread loads the app again, as the real host restarts its language worker.
 */
import { sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FunctionInfo, InvocationRequest, InvocationResult } from '../runtime/extension.js';
import {
  type AppThreadData,
  deserializeError,
  type FromAppThread,
  inputBindingsOf,
  type LoadedAppInfo,
  type ResolvedInputs,
  type ToAppThread,
} from './app-thread-protocol.js';
import { HostError } from './errors.js';
import type { InputResolver, InvokeOptions } from './invoker.js';
import type { JsonLogger, LogLevelName } from './log.js';
import { applyWorkerArguments } from './worker-arguments.js';

export interface AppThreadOptions {
  appDir: string;
  logLevel: LogLevelName;
  /** `languageWorkers__node__arguments`: V8 flags for the app's isolate (see worker-arguments.ts). */
  workerArguments?: string;
  log: JsonLogger;
  /** Supplies the value of an `in` binding (the extensions' resolveInput). */
  resolveInput: InputResolver;
}

interface Pending {
  resolve(result: InvocationResult | undefined): void;
  reject(err: Error): void;
}

/** The compiled thread entry. Under vitest the host runs from its TypeScript sources: the thread still runs from dist/. */
function threadEntry(): URL {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new URL('./app-thread-main.js', import.meta.url);
  const local = `${sep}local-host${sep}src${sep}`;
  const at = here.lastIndexOf(local);
  return pathToFileURL(`${here.slice(0, at)}${sep}dist${local}core${sep}app-thread-main.js`);
}

export class AppThread {
  readonly #options: AppThreadOptions;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #worker!: Worker;
  /** Settles when the current thread has loaded the app; invocations wait for it after a restart. */
  #ready!: Promise<void>;
  #app!: LoadedAppInfo;
  #functions = new Map<string, FunctionInfo>();
  #stopping = false;

  private constructor(options: AppThreadOptions) {
    this.#options = options;
  }

  /** Starts the thread and loads the app; rejects with the load error (missing entry point, no v4 model, ...). */
  static async start(options: AppThreadOptions): Promise<AppThread> {
    const args = applyWorkerArguments(options.workerArguments);
    if (args.applied.length > 0) options.log.info('app thread V8 flags (languageWorkers__node__arguments)', { applied: args.applied });
    if (args.ignored.length > 0) options.log.warn('languageWorkers__node__arguments: only V8 flags apply to the app thread; ignored', { ignored: args.ignored });
    const thread = new AppThread(options);
    thread.#spawn();
    try {
      await thread.#ready;
    } catch (err) {
      thread.#stopping = true;
      await thread.#worker.terminate();
      throw err;
    }
    return thread;
  }

  get functions(): readonly FunctionInfo[] {
    return this.#app.functions;
  }

  get entryFiles(): readonly string[] {
    return this.#app.entryFiles;
  }

  get capabilities(): Readonly<Record<string, string>> {
    return this.#app.capabilities;
  }

  async invoke(functionName: string, request: InvocationRequest, options?: InvokeOptions): Promise<InvocationResult> {
    await this.#ready;
    const fn = this.#functions.get(functionName.toLowerCase());
    if (!fn) throw new HostError(404, `Function "${functionName}" is not registered.`);
    const inputs = inputBindingsOf(fn);
    let inputData: ResolvedInputs | undefined;
    if (inputs.length > 0) {
      inputData = { ...request.inputData };
      for (const binding of inputs) inputData[binding.name] ??= await this.#options.resolveInput(binding, fn);
    }
    const result = await this.#call({ kind: 'invoke', id: 0, functionName: fn.name, request: inputData ? { ...request, inputData } : request, options });
    return result ?? { returnValue: null, outputData: [] };
  }

  /** Runs the app's appTerminate hooks, then ends the thread. */
  async terminate(): Promise<void> {
    try {
      await this.#ready;
      await this.#call({ kind: 'terminate', id: 0 });
    } finally {
      this.#stopping = true;
      await this.#worker.terminate();
    }
  }

  #call(message: ToAppThread): Promise<InvocationResult | undefined> {
    const id = this.#nextId++;
    return new Promise<InvocationResult | undefined>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id });
    });
  }

  #spawn(): void {
    const data: AppThreadData = { appDir: this.#options.appDir, logLevel: this.#options.logLevel };
    const worker = new Worker(threadEntry(), { workerData: data });
    this.#worker = worker;
    let loaded = false;
    this.#ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromAppThread) => {
        if (m.kind === 'loaded') {
          loaded = true;
          this.#app = m.app;
          this.#functions = new Map(m.app.functions.map((f) => [f.name.toLowerCase(), f]));
          resolve();
        } else if (m.kind === 'loadFailed') {
          reject(deserializeError(m.error));
        } else {
          const p = this.#pending.get(m.id);
          this.#pending.delete(m.id);
          if (m.kind === 'done') p?.resolve(m.result);
          else p?.reject(deserializeError(m.error));
        }
      });
      worker.on('error', (err) => {
        this.#options.log.error('app thread failed: uncaught error in the app', { error: err });
        if (!loaded) reject(err);
      });
      worker.on('exit', (code) => {
        const lost = [...this.#pending.values()];
        this.#pending.clear();
        for (const p of lost) p.reject(new Error(`The app's worker thread exited (code ${code}) during the invocation.`));
        if (!loaded) reject(new Error(`The app's worker thread exited (code ${code}) while loading the app.`));
        else if (!this.#stopping) {
          this.#options.log.warn('app thread exited; starting a new one', { code, lostInvocations: lost.length });
          this.#spawn();
          this.#ready.catch((err: unknown) => this.#options.log.error('app thread restart failed to load the app', { error: err }));
        }
      });
    });
  }
}
