// Structured JSON logs on stderr (stdout carries only the READY line). Never log secrets or tokens.
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(base: LogFields = {}, quiet = process.env.SIM_LOG === 'off'): Logger {
  const write = (level: string, msg: string, fields?: LogFields): void => {
    if (quiet) return;
    process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level, part: 'simulator', msg, ...base, ...fields })}\n`);
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (f) => createLogger({ ...base, ...f }, quiet),
  };
}
