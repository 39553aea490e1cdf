/** Structured JSON logs with correlation ids (callId, callChainId, tenantId). Never log secrets or tokens. */
export interface LogSink {
  log(message: string): void;
  warn?(message: string): void;
  error(message: string): void;
}

export class Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly fields: Record<string, unknown> = {},
  ) {}

  with(fields: Record<string, unknown>): Logger {
    return new Logger(this.sink, { ...this.fields, ...fields });
  }

  private line(level: string, msg: string, extra?: Record<string, unknown>): string {
    return JSON.stringify({ level, msg, at: new Date().toISOString(), ...this.fields, ...extra });
  }

  info(msg: string, extra?: Record<string, unknown>): void {
    this.sink.log(this.line('info', msg, extra));
  }
  warn(msg: string, extra?: Record<string, unknown>): void {
    (this.sink.warn ?? this.sink.log).call(this.sink, this.line('warn', msg, extra));
  }
  error(msg: string, extra?: Record<string, unknown>): void {
    this.sink.error(this.line('error', msg, extra));
  }
}

export const consoleSink: LogSink = { log: (m) => console.log(m), warn: (m) => console.warn(m), error: (m) => console.error(m) };
