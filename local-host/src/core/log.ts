/** Structured JSON logger of the host: one JSON object per line on stdout, never secrets. */
import type { HostLogger } from '../runtime/extension.js';

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

const rank: Record<LogLevelName, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLogger extends HostLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): JsonLogger;
  /** Whether a line at `level` would be written (lets hot paths skip building fields and child loggers). */
  enabled(level: LogLevelName): boolean;
}

export interface JsonLoggerOptions {
  level: LogLevelName;
  write?: (line: string) => void;
  fields?: Record<string, unknown>;
}

export function parseLogLevel(value: string | undefined, fallback: LogLevelName): LogLevelName {
  const v = value?.toLowerCase();
  if (v === 'debug' || v === 'trace') return 'debug';
  if (v === 'info' || v === 'information') return 'info';
  if (v === 'warn' || v === 'warning') return 'warn';
  if (v === 'error' || v === 'critical') return 'error';
  return fallback;
}

export function createJsonLogger(options: JsonLoggerOptions): JsonLogger {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.fields ?? {};
  const emit = (level: LogLevelName, message: string, fields?: Record<string, unknown>): void => {
    if (rank[level] < rank[options.level]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...base, ...fields }, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createJsonLogger({ ...options, write, fields: { ...base, ...fields } }),
    enabled: (level) => rank[level] >= rank[options.level],
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
