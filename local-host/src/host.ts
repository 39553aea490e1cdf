/**
 * Composes the local Functions host: settings → app load (through the real @azure/functions library) → HTTP
 * listener → extensions → timers. `startHost` returns a running host; `stop()` undoes it in reverse order.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { applyHostJsonOverrides, functionTimeoutMs, loadHostJson, loadLocalSettings, routePrefixOf, type HostJson } from './config/app-config.js';
import { loadHostKeys, type HostKeys } from './config/keys.js';
import { AppThread } from './core/app-thread.js';
import { localHostVersion } from './core/core-module.js';
import type { InvokeOptions } from './core/invoker.js';
import { createJsonLogger, type JsonLogger, type LogLevelName, parseLogLevel } from './core/log.js';
import { createAdminHandler } from './http/admin-routes.js';
import { buildRouteTable, type RouteTable } from './http/http-routes.js';
import { HttpHost } from './http/server.js';
import type { BindingInfo, FunctionInfo, HostExtension, HostServices, InvocationRequest, InvocationResult, RpcTypedData } from './runtime/extension.js';
import { createScaledClock, type ScaledClock } from './timer/clock.js';
import { isTimerTrigger, TimerScheduler } from './timer/timer-scheduler.js';

export interface HostOptions {
  appDir: string;
  /** Listening port; 0 picks a free one. Default: local.settings.json Host.LocalHttpPort, else 7071. */
  port?: number;
  listenHost?: string;
  /** Default `<appDir>/.data/local-host`. */
  dataDir?: string;
  /** Default `<appDir>/local.settings.json`. */
  settingsFile?: string;
  /** Host clock speed-up for timers (default: setting LOCAL_HOST_CLOCK_SCALE, else 1). */
  clockScale?: number;
  logLevel?: LogLevelName;
  extensions?: readonly HostExtension[] | ((log: JsonLogger) => Promise<HostExtension[]>);
  maxRequestBodyBytes?: number;
  /** Where the human-readable banner goes (function list, keys, READY line). Default stdout. */
  print?: (line: string) => void;
}

export interface FunctionProblem {
  functionName: string;
  message: string;
}

export interface RunningHost {
  readonly baseUrl: string;
  readonly keys: HostKeys;
  readonly functions: readonly FunctionInfo[];
  readonly problems: readonly FunctionProblem[];
  readonly services: HostServices;
  stop(): Promise<void>;
}

const builtInTriggers = ['httptrigger', 'timertrigger'];

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const startedAtMs = Date.now();
  const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'));
  const appDir = path.resolve(options.appDir);
  const localSettings = await loadLocalSettings(options.settingsFile ?? path.join(appDir, 'local.settings.json'));
  for (const [name, value] of Object.entries(localSettings.Values ?? {})) process.env[name] = value;
  const settings: Readonly<Record<string, string | undefined>> = { ...process.env };
  const hostJson: HostJson = applyHostJsonOverrides(await loadHostJson(appDir), settings);
  const timeoutMs = functionTimeoutMs(hostJson);
  const logLevel = options.logLevel ?? parseLogLevel(settings.LOCAL_HOST_LOG_LEVEL, 'info');
  const log = createJsonLogger({ level: logLevel, fields: { host: 'local-host' } });
  const dataDir = path.resolve(options.dataDir ?? path.join(appDir, '.data', 'local-host'));
  await mkdir(dataDir, { recursive: true });
  const clock: ScaledClock = createScaledClock(options.clockScale ?? Number(settings.LOCAL_HOST_CLOCK_SCALE ?? '1'));
  const isDevelopment = (settings.AZURE_FUNCTIONS_ENVIRONMENT ?? '').toLowerCase() === 'development';
  const extensions = typeof options.extensions === 'function' ? await options.extensions(log) : [...(options.extensions ?? [])];

  const extensionForInput = (type: string): HostExtension | undefined =>
    extensions.find((e) => e.inputTypes.some((t) => t.toLowerCase() === type.toLowerCase()));
  const resolveInput = async (binding: BindingInfo, fn: FunctionInfo): Promise<RpcTypedData> => {
    const ext = extensionForInput(binding.type);
    if (!ext) throw new Error(`No extension supplies the "${binding.type}" input binding "${binding.name}" of function "${fn.name}".`);
    return ext.resolveInput(binding, fn);
  };

  // The app runs in a thread of its own, as the real host runs the Node worker in a process of its own.
  const app = await AppThread.start({ appDir, logLevel, log, resolveInput, workerArguments: settings.languageWorkers__node__arguments });
  const functions = app.functions;
  const invoke = (name: string, request: InvocationRequest, invokeOptions?: InvokeOptions): Promise<InvocationResult> =>
    withFunctionTimeout(app.invoke(name, request, invokeOptions), name, timeoutMs, hostJson);

  const problems: FunctionProblem[] = [...checkBindings(functions, extensions)];
  const routeTable: RouteTable = buildRouteTable(functions, settings);
  problems.push(...routeTable.problems);
  const keys = await loadHostKeys(dataDir, settings);

  let state: 'Initialized' | 'Running' | 'Stopping' = 'Initialized';
  const timers = new TimerScheduler({ clock, dataDir, settings, log, invoke: (n, r) => invoke(n, r) }, functions);
  problems.push(...timers.problems);
  const http = new HttpHost({
    routePrefix: routePrefixOf(hostJson),
    isDevelopment,
    log,
    functions: {
      keys,
      dataDir,
      maxRequestBodyBytes: options.maxRequestBodyBytes ?? positiveInt(settings.LOCAL_HOST_MAX_BODY_BYTES) ?? 100 * 1024 * 1024,
      invoke,
      streamProxyUri: () => app.capabilities.HttpUri,
    },
    admin: createAdminHandler({
      keys,
      version: localHostVersion,
      startedAtMs,
      state: () => state,
      functions: () => functions,
      extensions: () => extensions.map((e) => e.name),
      log,
      runFunction: async (fn, input) => {
        if (isTimerTrigger(fn)) {
          void timers.runNow(fn.name).catch((err: unknown) => log.error('admin run failed', { functionName: fn.name, error: err }));
          return;
        }
        const data: RpcTypedData = input === undefined ? { string: '' } : typeof input === 'string' ? { string: input } : { json: JSON.stringify(input) };
        void invoke(fn.name, { triggerData: data }).catch((err: unknown) => log.error('admin run failed', { functionName: fn.name, error: err }));
      },
    }),
  });
  http.setRoutes(routeTable);
  const port = options.port ?? localSettings.Host?.LocalHttpPort ?? 7071;
  const baseUrl = await http.listen(port, options.listenHost ?? '127.0.0.1');

  const services: HostServices = {
    functions: () => functions,
    invoke: (name, request) => invoke(name, request),
    mountHttp: (prefix, handler) => http.mountHttp(prefix, handler),
    httpInFlight: () => http.inFlight,
    baseUrl,
    dataDir,
    settings,
    hostJson: hostJson as Readonly<Record<string, unknown>>,
    clock,
    log,
    isDevelopment,
  };
  const started: HostExtension[] = [];
  try {
    for (const ext of extensions) {
      await ext.start(services);
      started.push(ext);
    }
    await timers.start();
  } catch (err) {
    for (const ext of started.reverse()) await ext.stop().catch(() => undefined);
    await http.close(0);
    throw err;
  }
  state = 'Running';

  printBanner(print, { baseUrl, routePrefix: routePrefixOf(hostJson), routeTable, functions, problems, keys, timers, clockScale: clock.scale, entryFiles: app.entryFiles });
  log.info('host started', { baseUrl, functions: functions.length, extensions: extensions.map((e) => e.name), dataDir, clockScale: clock.scale });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      state = 'Stopping';
      log.info('host stopping');
      await http.drain();
      await timers.stop();
      for (const ext of [...started].reverse()) {
        await ext.stop().catch((err: unknown) => log.error('extension failed to stop', { extension: ext.name, error: err }));
      }
      await http.close();
      await app.terminate().catch((err: unknown) => log.error('appTerminate hook failed', { error: err }));
      log.info('host stopped');
    })();
    return stopping;
  };
  return { baseUrl, keys, functions, problems, services, stop };
}

/**
 * host.json functionTimeout: the invocation fails with the host's message once the limit passes. The handler cannot
 * be cancelled in-process and keeps running (the real host would restart the worker).
 */
function withFunctionTimeout<T>(invocation: Promise<T>, name: string, timeoutMs: number | undefined, hostJson: HostJson): Promise<T> {
  if (timeoutMs === undefined) return invocation;
  let timer: NodeJS.Timeout | undefined;
  const limit = String((hostJson as { functionTimeout?: unknown }).functionTimeout);
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Timeout value of ${limit} exceeded by function 'Functions.${name}'.`)), timeoutMs);
    timer.unref();
  });
  return Promise.race([invocation, timeout]).finally(() => clearTimeout(timer));
}

function positiveInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim()) || Number(text) <= 0) return undefined;
  return Number(text);
}

/** Triggers nobody drives and input bindings nobody supplies, reported at startup (the function would never work). */
function checkBindings(functions: readonly FunctionInfo[], extensions: readonly HostExtension[]): FunctionProblem[] {
  const problems: FunctionProblem[] = [];
  const triggerTypes = new Set([...builtInTriggers, ...extensions.flatMap((e) => e.triggerTypes.map((t) => t.toLowerCase()))]);
  const inputTypes = new Set(extensions.flatMap((e) => e.inputTypes.map((t) => t.toLowerCase())));
  for (const fn of functions) {
    if (!triggerTypes.has(fn.trigger.type.toLowerCase())) {
      problems.push({ functionName: fn.name, message: `trigger type "${fn.trigger.type}" is not supported by local-host; the function will never run.` });
    }
    for (const b of fn.bindings) {
      if (b.direction === 'out' && b.type.toLowerCase() !== 'http') {
        problems.push({ functionName: fn.name, message: `output binding "${b.name}" of type "${b.type}" is not supported by local-host; its values are dropped.` });
      }
      if (b === fn.trigger || b.direction === 'out') continue;
      if (!inputTypes.has(b.type.toLowerCase())) {
        problems.push({ functionName: fn.name, message: `input binding "${b.name}" of type "${b.type}" has no extension; invocations will fail.` });
      }
    }
  }
  return problems;
}

interface BannerInput {
  baseUrl: string;
  routePrefix: string;
  routeTable: RouteTable;
  functions: readonly FunctionInfo[];
  problems: readonly FunctionProblem[];
  keys: HostKeys;
  timers: TimerScheduler;
  clockScale: number;
  entryFiles: readonly string[];
}

function printBanner(print: (line: string) => void, b: BannerInput): void {
  print('');
  print('Functions:');
  print('');
  const timerInfoByName = new Map(b.timers.describe().map((t) => [t.name, t]));
  for (const fn of b.functions) {
    const route = b.routeTable.routes.find((r) => r.fn === fn);
    if (route) {
      const methods = route.methods ? [...route.methods].join(',') : 'ALL';
      const path = `/${[b.routePrefix, route.route.template.replace(/^\/+/, '')].filter(Boolean).join('/')}`;
      print(`        ${fn.name}: [${methods}] ${b.baseUrl}${path}${route.authLevel === 'anonymous' ? '' : ` (authLevel ${route.authLevel})`}`);
    } else if (isTimerTrigger(fn)) {
      const t = timerInfoByName.get(fn.name);
      print(`        ${fn.name}: timerTrigger ${t ? `"${t.schedule}" next ${t.next ?? 'never'}` : '(invalid schedule)'}`);
    } else {
      print(`        ${fn.name}: ${fn.trigger.type}`);
    }
  }
  for (const p of b.problems) print(`        ! ${p.functionName}: ${p.message}`);
  print('');
  if (b.keys.source === 'generated') {
    print(`Generated host keys (stored in ${b.keys.file}):`);
    print(`        master: ${b.keys.masterKey}`);
    for (const k of b.keys.functionKeys) print(`        default: ${k}`);
  } else {
    print(`Host keys from ${b.keys.source === 'settings' ? 'settings FUNCTIONS_MASTER_KEY / FUNCTIONS_HOST_KEY' : b.keys.file}`);
  }
  if (b.clockScale !== 1) print(`Host clock runs ${b.clockScale}x faster than real time (timers).`);
  print(`READY local-host ${b.baseUrl}`);
}

