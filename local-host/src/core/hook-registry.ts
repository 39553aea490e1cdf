/** Lifecycle hooks registered through the core module: run in registration order; a throwing hook blocks. */
import type { HookCallback, HookName } from './core-types.js';
import { Disposable } from './disposable.js';

const known: readonly HookName[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

export class HookRegistry {
  readonly #hooks = new Map<HookName, HookCallback[]>();
  /** Shared across all hooks of the app (`appHookData`). */
  readonly appHookData: Record<string, unknown> = {};

  register(name: string, callback: HookCallback): Disposable {
    if (!(known as readonly string[]).includes(name)) {
      const err = new RangeError(`Unrecognized hook "${name}"`) as RangeError & { isAzureFunctionsSystemError?: boolean };
      err.isAzureFunctionsSystemError = true;
      throw err;
    }
    const list = this.#hooks.get(name as HookName) ?? [];
    list.push(callback);
    this.#hooks.set(name as HookName, list);
    return new Disposable(() => {
      const current = this.#hooks.get(name as HookName) ?? [];
      this.#hooks.set(name as HookName, current.filter((cb) => cb !== callback));
    });
  }

  has(name: HookName): boolean {
    return (this.#hooks.get(name)?.length ?? 0) > 0;
  }

  async run(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const callback of [...(this.#hooks.get(name) ?? [])]) {
      await callback(context);
    }
  }

  /** Log hooks are synchronous in the worker; errors in them are swallowed so logging never breaks an invocation. */
  runLogHooks(context: Record<string, unknown>): void {
    for (const callback of this.#hooks.get('log') ?? []) {
      try {
        Promise.resolve(callback(context)).catch(() => undefined);
      } catch {
        // a log hook must not break the log call
      }
    }
  }
}
