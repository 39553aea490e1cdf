/**
 * The seam between the host core (app loading, function registry, HTTP and timer triggers) and host extensions
 * (Durable Task). The core owns what the Azure Functions host + Node worker do; an extension owns what a bindings
 * extension does (the Durable Task extension drives orchestrationTrigger / activityTrigger / entityTrigger and
 * supplies the durableClient input binding). Data crosses this seam in the worker's RPC shapes, so invocations go
 * through the real @azure/functions InvocationModel (fromRpcTypedData / toRpcTypedData), as under the real host.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The worker protocol's TypedData (subset the Node library reads and writes). */
export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  int?: number | null;
  double?: number | null;
  /** RpcHttp, as built by the core for HTTP triggers. Extensions never build it. */
  http?: Record<string, unknown> | null;
}

export interface BindingInfo {
  /** Binding name as registered (e.g. "context", "durableClient", "$return"). */
  name: string;
  /** Binding type as registered, e.g. "httpTrigger", "orchestrationTrigger", "durableClient". */
  type: string;
  direction: 'in' | 'out' | 'inout';
  /** Every other property the library put on the binding (route, methods, authLevel, schedule, ...). */
  [property: string]: unknown;
}

export interface FunctionInfo {
  name: string;
  trigger: BindingInfo;
  bindings: readonly BindingInfo[];
}

export interface InvocationRequest {
  /** Trigger data under the trigger binding's name. Other `in` bindings are resolved by the core (asking extensions). */
  triggerData: RpcTypedData;
  triggerMetadata?: Record<string, RpcTypedData>;
  /**
   * Values of the other `in` bindings, by binding name, when the core has resolved them already (it does so before an
   * invocation crosses to the app thread). Extensions leave it unset.
   */
  inputData?: Record<string, RpcTypedData>;
}

export interface InvocationResult {
  returnValue?: RpcTypedData | null;
  outputData: { name: string; data: RpcTypedData }[];
}

export interface Clock {
  /** Milliseconds since the epoch, on the host's (possibly scaled) clock. */
  now(): number;
}

export interface HostLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type HttpMountHandler = (req: IncomingMessage, res: ServerResponse, subPath: string) => void | Promise<void>;

/** What the core gives an extension. */
export interface HostServices {
  functions(): readonly FunctionInfo[];
  /** Runs one invocation through the app's registered programming model. Rejects with the handler's error. */
  invoke(functionName: string, request: InvocationRequest): Promise<InvocationResult>;
  /**
   * Serve every request whose path starts with `prefix` (e.g. "/runtime/webhooks/durabletask", "/dashboard").
   * `subPath` is the rest of the path after the prefix, starting with "/" or empty. Mounted routes are not under /api.
   */
  mountHttp(prefix: string, handler: HttpMountHandler): void;
  /**
   * App HTTP function requests in progress. Background work (Durable episodes, activities) yields to them: a webhook
   * that must answer within seconds is not queued behind replays.
   */
  httpInFlight(): number;
  /** e.g. http://127.0.0.1:7071 (no trailing slash). Known once the listener is bound, before extensions start. */
  readonly baseUrl: string;
  /** Folder for the extension's persistent state (survives restarts). */
  readonly dataDir: string;
  /** Effective settings: process env overlaid with local.settings.json Values. */
  readonly settings: Readonly<Record<string, string | undefined>>;
  /** Parsed host.json of the app. */
  readonly hostJson: Readonly<Record<string, unknown>>;
  readonly clock: Clock;
  readonly log: HostLogger;
  /** True when the host runs with local/development settings (stack traces may be shown). */
  readonly isDevelopment: boolean;
}

/** A bindings extension, e.g. the Durable Task extension. */
export interface HostExtension {
  readonly name: string;
  /** Trigger binding types this extension drives (case-insensitive match), e.g. ["orchestrationTrigger"]. */
  readonly triggerTypes: readonly string[];
  /** `in` binding types this extension supplies a value for, e.g. ["durableClient"]. */
  readonly inputTypes: readonly string[];
  start(host: HostServices): Promise<void>;
  /** Value of an `in` binding of one of `inputTypes`, for an invocation of `fn`. */
  resolveInput(binding: BindingInfo, fn: FunctionInfo): Promise<RpcTypedData>;
  /** Stop taking work; resolve when in-flight work is finished or abandoned safely. */
  stop(): Promise<void>;
}
