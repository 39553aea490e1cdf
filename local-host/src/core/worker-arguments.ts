/**
 * `languageWorkers__node__arguments` (the Functions app setting whose arguments the real host gives the Node worker
 * process) for the app thread: its V8 flags are set before the thread's isolate is created, so heap sizing flags
 * such as `--initial-old-space-size` apply to the app's heap. Node options that only a process can take (e.g.
 * `--inspect`) cannot apply to a thread and are reported back.
 */
import v8 from 'node:v8';

export interface AppliedArguments {
  applied: string[];
  ignored: string[];
}

/** V8 flags are the ones `node --v8-options` lists; these Node-only prefixes never are. */
const NODE_ONLY = /^--(inspect|require|import|loader|experimental-|env-file|conditions|title|cpu-prof|heap-prof|diagnostic-dir|trace-warnings|unhandled-rejections)/;

export function parseWorkerArguments(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter((a) => a !== '');
}

export function applyWorkerArguments(text: string | undefined): AppliedArguments {
  const out: AppliedArguments = { applied: [], ignored: [] };
  for (const arg of parseWorkerArguments(text)) {
    if (!arg.startsWith('--') || NODE_ONLY.test(arg)) {
      out.ignored.push(arg);
      continue;
    }
    v8.setFlagsFromString(arg);
    out.applied.push(arg);
  }
  return out;
}
