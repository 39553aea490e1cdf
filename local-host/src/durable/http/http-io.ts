/** Small HTTP helpers for the Durable webhooks: one error type, one place that writes responses. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** The real extension answers argument errors with this shape (HttpApiHandler). */
export function argumentError(reason: string): HttpError {
  return new HttpError(400, reason, {
    Message: 'One or more of the arguments submitted is incorrect',
    ExceptionMessage: reason,
    ExceptionType: 'System.ArgumentException',
  });
}

export function serverError(reason: string): HttpError {
  return new HttpError(500, reason, {
    Message: 'Something went wrong while processing your request',
    ExceptionMessage: reason,
    ExceptionType: 'System.InvalidOperationException',
  });
}

export async function readBody(req: IncomingMessage, limitBytes = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limitBytes) throw new HttpError(413, `Request body larger than ${limitBytes} bytes.`, { Message: 'Request body too large' });
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

export function sendError(res: ServerResponse, err: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, err.body ?? { Message: err.message });
}

/** Parses JSON text; throws a 400 with `reason` when it is not valid JSON. */
export function parseJsonOr400(text: string, reason = 'Invalid JSON content'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, reason, { Message: reason, ExceptionMessage: err instanceof Error ? err.message : String(err) });
  }
}
