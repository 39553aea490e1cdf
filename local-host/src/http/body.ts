/** Reads a request body fully (the worker protocol carries whole bodies), with a size limit. */
import type { IncomingMessage } from 'node:http';
import { HostError } from '../core/errors.js';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new HostError(413, `Request body too large: ${declared} bytes > ${maxBytes}.`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > maxBytes) throw new HostError(413, `Request body too large: more than ${maxBytes} bytes.`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

export function sendJson(res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
