/** Serves one matched HTTP-triggered function: auth, request → RpcHttp, invoke, RpcHttp → response. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorise, loadFunctionKeys, presentedKey, type HostKeys } from '../config/keys.js';
import { HostError } from '../core/errors.js';
import type { InvokeOptions } from '../core/invoker.js';
import type { InvocationResult, InvocationRequest, RpcTypedData } from '../runtime/extension.js';
import { readBody } from './body.js';
import type { HttpRoute } from './http-routes.js';
import { toRpcHttpTrigger, type RpcHttpResponse, writeRpcHttpResponse } from './rpc-http.js';
import { proxyStreamInvocation } from './stream-proxy.js';

export interface FunctionHttpDeps {
  keys: HostKeys;
  dataDir: string;
  maxRequestBodyBytes: number;
  invoke(functionName: string, request: InvocationRequest, options?: InvokeOptions): Promise<InvocationResult>;
  /** Set when the app enabled HTTP streaming: the library's proxy URL. */
  streamProxyUri(): string | undefined;
}

export async function serveFunction(
  deps: FunctionHttpDeps,
  route: HttpRoute,
  params: Record<string, string>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (route.authLevel !== 'anonymous') {
    const key = presentedKey(req.headers['x-functions-key'], url.searchParams);
    const functionKeys = route.authLevel === 'function' ? await loadFunctionKeys(deps.dataDir, route.fn.name) : [];
    if (!authorise(route.authLevel, key, deps.keys, functionKeys)) {
      const reason = key === undefined ? 'a key is required (x-functions-key header or code query parameter)' : 'the key is not valid';
      throw new HostError(401, `Unauthorized: function "${route.fn.name}" has authLevel ${route.authLevel}; ${reason}.`);
    }
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const traceparent = req.headers.traceparent;
  const traceOptions: InvokeOptions = typeof traceparent === 'string' ? { traceParent: traceparent } : {};
  const streamUri = deps.streamProxyUri();
  if (streamUri) {
    const trigger = toRpcHttpTrigger({ method, url: url.href, headers: req.headers, query: url.searchParams, params });
    await proxyStreamInvocation({ proxyUri: streamUri, req, res, url, trigger, invoke: (r, id) => deps.invoke(route.fn.name, r, { ...traceOptions, invocationId: id }) });
    return;
  }
  const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, deps.maxRequestBodyBytes);
  if (method === 'GET' || method === 'HEAD') req.resume();
  const trigger = toRpcHttpTrigger({ method, url: url.href, headers: req.headers, query: url.searchParams, params, body });
  const result = await deps.invoke(route.fn.name, trigger, traceOptions);
  const http = httpOutput(route, result);
  if (!http) {
    res.statusCode = 204;
    res.end();
    return;
  }
  writeRpcHttpResponse(res, http, method);
}

/** The http output of an invocation: `$return` when it is the http binding, else the first http output binding. */
export function httpOutput(route: HttpRoute, result: InvocationResult): RpcHttpResponse | undefined {
  const binding = route.fn.bindings.find((b) => b.direction === 'out' && b.type.toLowerCase() === 'http');
  if (!binding) return undefined;
  let data: RpcTypedData | null | undefined;
  if (binding.name === '$return') data = result.returnValue;
  else data = result.outputData.find((o) => o.name === binding.name)?.data;
  if (!data) return undefined;
  if (!data.http) throw new Error(`Function "${route.fn.name}" returned a value that is not an HTTP response.`);
  return data.http as RpcHttpResponse;
}
