// The one HTTP error type; control-server maps it (and zod errors) to `{error, reason}` responses.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(`${status} ${error}: ${reason}`);
    this.name = 'HttpError';
  }
}
