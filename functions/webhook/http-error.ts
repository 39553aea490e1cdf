/** The one HTTP error type of the app; `toErrorResponse` is the one place that maps errors to responses. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly error: string = HttpError.codeFor(status),
  ) {
    super(`${status} ${error}: ${reason}`);
  }

  static codeFor(status: number): string {
    if (status === 400) return 'badRequest';
    if (status === 401) return 'unauthorized';
    if (status === 403) return 'forbidden';
    if (status === 404) return 'notFound';
    if (status === 413) return 'payloadTooLarge';
    if (status === 415) return 'unsupportedMediaType';
    if (status === 503) return 'unavailable';
    return 'internalError';
  }
}

export interface ErrorResponse {
  status: number;
  jsonBody: { error: string; reason: string };
  headers?: Record<string, string>;
}

export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof HttpError) {
    const headers: Record<string, string> | undefined = err.status === 401 ? { 'www-authenticate': 'Bearer' } : undefined;
    return { status: err.status, jsonBody: { error: err.error, reason: err.reason }, ...(headers ? { headers } : {}) };
  }
  return { status: 500, jsonBody: { error: 'internalError', reason: 'internal error; see logs' } };
}
