/**
 * Conversions between Node's HTTP messages and the worker protocol's RpcHttp, the shape the @azure/functions
 * library reads (HttpRequest: method, url, headers, query, params, body as bytes) and writes (toRpcHttp:
 * statusCode, headers, cookies, body). Pure apart from writing the response.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { RpcTypedData } from '../runtime/extension.js';

export interface RpcHttpRequestInput {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  query: URLSearchParams;
  params: Record<string, string>;
  body?: Buffer;
}

/** Headers as one string per name (repeated headers joined with ", "), lower-case names. */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(name.toLowerCase() === 'cookie' ? '; ' : ', ') : value;
  }
  return out;
}

/** Query as one string per name (repeated names joined with ",", as ASP.NET's StringValues do). */
export function flattenQuery(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of new Set(query.keys())) out[name] = query.getAll(name).join(',');
  return out;
}

export interface RpcHttpTrigger {
  triggerData: RpcTypedData;
  triggerMetadata: Record<string, RpcTypedData>;
}

/** The trigger data and metadata the host sends for an HTTP trigger (metadata also carries route params by name). */
export function toRpcHttpTrigger(input: RpcHttpRequestInput): RpcHttpTrigger {
  const headers = flattenHeaders(input.headers);
  const query = flattenQuery(input.query);
  const http: Record<string, unknown> = {
    method: input.method,
    url: input.url,
    headers,
    query,
    params: input.params,
  };
  if (input.body && input.body.length > 0) http.body = { bytes: new Uint8Array(input.body.buffer, input.body.byteOffset, input.body.length) };
  const triggerMetadata: Record<string, RpcTypedData> = {};
  for (const [name, value] of Object.entries(input.params)) triggerMetadata[name] = { string: value };
  triggerMetadata.Headers = { json: JSON.stringify(headers) };
  triggerMetadata.Query = { json: JSON.stringify(query) };
  return { triggerData: { http }, triggerMetadata };
}

interface NullableValue<T> {
  value?: T | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: NullableValue<string> | null;
  path?: NullableValue<string> | null;
  expires?: NullableValue<{ seconds?: number | string | null; nanos?: number | null }> | null;
  secure?: NullableValue<boolean> | null;
  httpOnly?: NullableValue<boolean> | null;
  sameSite?: string | null;
  maxAge?: NullableValue<number> | null;
}

export interface RpcHttpResponse {
  statusCode?: string | number | null;
  headers?: Record<string, string> | null;
  cookies?: RpcHttpCookie[] | null;
  body?: RpcTypedData | null;
}

/** Serialises one cookie for Set-Cookie (RFC 6265), like the host does from the RPC cookie. */
export function serializeCookie(cookie: RpcHttpCookie): string {
  const name = cookie.name ?? '';
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new Error(`Invalid cookie name "${name}"`);
  const parts = [`${name}=${cookie.value ?? ''}`];
  const seconds = cookie.expires?.value?.seconds;
  if (seconds !== undefined && seconds !== null) {
    const ms = Number(seconds) * 1000 + Math.floor((cookie.expires?.value?.nanos ?? 0) / 1e6);
    parts.push(`Expires=${new Date(ms).toUTCString()}`);
  }
  if (cookie.maxAge?.value !== undefined && cookie.maxAge.value !== null) parts.push(`Max-Age=${Math.trunc(cookie.maxAge.value)}`);
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  switch (cookie.sameSite) {
    case 'lax':
      parts.push('SameSite=Lax');
      break;
    case 'strict':
      parts.push('SameSite=Strict');
      break;
    case 'explicitNone':
      parts.push('SameSite=None');
      break;
    default:
      break;
  }
  return parts.join('; ');
}

export function typedDataToBuffer(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength);
  if (data.stream) return Buffer.from(data.stream.buffer, data.stream.byteOffset, data.stream.byteLength);
  if (typeof data.string === 'string') return Buffer.from(data.string, 'utf8');
  if (typeof data.json === 'string') return Buffer.from(data.json, 'utf8');
  if (typeof data.int === 'number') return Buffer.from(String(data.int));
  if (typeof data.double === 'number') return Buffer.from(String(data.double));
  return Buffer.alloc(0);
}

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer', 'proxy-connection']);

/** Writes an RpcHttp response: status, headers, cookies, body (no body for HEAD, 204 and 304). */
export function writeRpcHttpResponse(res: ServerResponse, rpc: RpcHttpResponse, method: string): void {
  const status = Number(rpc.statusCode ?? 200);
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new Error(`The function returned an invalid status code "${String(rpc.statusCode)}".`);
  res.statusCode = status;
  for (const [name, value] of Object.entries(rpc.headers ?? {})) {
    if (!hopByHop.has(name.toLowerCase())) res.setHeader(name, value);
  }
  const cookies = (rpc.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = typedDataToBuffer(rpc.body);
  if (method === 'HEAD' || status === 204 || status === 304) {
    res.end();
    return;
  }
  if (!res.hasHeader('content-type') && typeof rpc.body?.json === 'string') res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', body.length);
  res.end(body);
}
