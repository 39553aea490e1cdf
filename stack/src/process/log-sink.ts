/** Where a child's output lines go. One call per complete line, already split. */
export type LogSink = (part: string, stream: 'stdout' | 'stderr', line: string) => void;

/** Writes `[part] line` to the parent's stdout/stderr. */
export const prefixedConsoleSink: LogSink = (part, stream, line) => {
  const out = stream === 'stderr' ? process.stderr : process.stdout;
  out.write(`[${part}] ${line}\n`);
};

/** Discards output (the last lines are still kept for error messages). */
export const silentSink: LogSink = () => undefined;

/** Chooses the sink from an option: `true`/undefined → console, `false` → silent, a function → itself. */
export function resolveSink(log: boolean | LogSink | undefined): LogSink {
  if (typeof log === 'function') return log;
  return log === false ? silentSink : prefixedConsoleSink;
}
