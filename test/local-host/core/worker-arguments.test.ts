// languageWorkers__node__arguments for the app thread: V8 flags are applied (before the thread's isolate exists),
// Node-only options and stray words are reported as ignored.
import { describe, expect, it } from 'vitest';
import { applyWorkerArguments, parseWorkerArguments } from '../../../local-host/src/core/worker-arguments.js';

describe('worker arguments', () => {
  it('splits on whitespace', () => {
    expect(parseWorkerArguments('  --a=1   --b ')).toEqual(['--a=1', '--b']);
    expect(parseWorkerArguments(undefined)).toEqual([]);
  });

  it('applies V8 flags and ignores what only a process can take', () => {
    expect(applyWorkerArguments('--initial-old-space-size=64 --inspect=9229 --require ./x.js stray')).toEqual({
      applied: ['--initial-old-space-size=64'],
      ignored: ['--inspect=9229', '--require', './x.js', 'stray'],
    });
  });
});
