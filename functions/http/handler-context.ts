/** What every HTTP handler of the app starts with: a correlated logger and the process-wide dependencies. */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { appDeps, type AppDeps } from '../deps.js';
import { Logger } from '../log.js';

export function invocationLogger(context: InvocationContext, fn: string): Logger {
  return new Logger({ log: (m) => context.log(m), warn: (m) => context.warn(m), error: (m) => context.error(m) }, {
    fn, invocationId: context.invocationId,
  });
}

/** The dependencies, or the 503 to answer when the app's configuration is broken (the reason goes to the log only). */
export function depsOrUnavailable(log: Logger): { deps: AppDeps } | { response: HttpResponseInit } {
  try {
    return { deps: appDeps() };
  } catch (err) {
    log.error('app misconfigured', { error: (err as Error).message });
    return { response: { status: 503, jsonBody: { error: 'unavailable', reason: 'app misconfigured; see logs' } } };
  }
}
