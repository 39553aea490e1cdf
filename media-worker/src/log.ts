// Structured JSON logs on stderr (stdout carries the READY line). Never log secrets.
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(base: LogFields = {}, level: 'info' | 'warn' | 'silent' = 'info'): Logger {
  const write = (lvl: string, msg: string, fields?: LogFields): void => {
    if (level === 'silent' || (level === 'warn' && lvl === 'info')) return;
    process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level: lvl, msg, ...base, ...fields }) + '\n');
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (f) => createLogger({ ...base, ...f }, level),
  };
}
