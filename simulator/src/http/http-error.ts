// One error type for every handler; `toResponse` in router.ts maps it to a Graph-style body.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Replaces the Graph-style body (e.g. OAuth `{error, error_description}`). */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code = 'BadRequest'): HttpError => new HttpError(400, code, message);
export const notFound = (message: string, code = 'NotFound'): HttpError => new HttpError(404, code, message);
export const unauthorized = (message: string): HttpError =>
  new HttpError(401, 'InvalidAuthenticationToken', message, { 'www-authenticate': 'Bearer' });
export const forbidden = (message: string, code = 'Forbidden'): HttpError => new HttpError(403, code, message);
export const conflict = (message: string, code = 'Conflict'): HttpError => new HttpError(409, code, message);
