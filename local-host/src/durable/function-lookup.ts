/**
 * Case-insensitive lookup of a registered function by name and trigger type (function names are case-insensitive in
 * Azure Functions). The host's function list is fixed once the app is loaded; the index is rebuilt if it changes.
 */
import type { FunctionInfo } from '../runtime/extension.js';

export class FunctionLookup {
  readonly #list: () => readonly FunctionInfo[];
  #indexed: readonly FunctionInfo[] | undefined;
  #byKey = new Map<string, FunctionInfo>();

  constructor(list: () => readonly FunctionInfo[]) {
    this.#list = list;
  }

  /** The function called `name` (any case) with a trigger of `triggerType` (any case), or undefined. */
  find(name: string, triggerType: string): FunctionInfo | undefined {
    const list = this.#list();
    if (list !== this.#indexed) {
      const byKey = new Map<string, FunctionInfo>();
      for (const f of list) {
        const key = `${f.trigger.type.toLowerCase()}/${f.name.toLowerCase()}`;
        if (!byKey.has(key)) byKey.set(key, f);
      }
      this.#byKey = byKey;
      this.#indexed = list;
    }
    return this.#byKey.get(`${triggerType.toLowerCase()}/${name.toLowerCase()}`);
  }
}
