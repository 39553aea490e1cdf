/**
 * The bindings extensions the CLI loads. Adding one is one entry here. An extension that fails to load is
 * reported loudly and skipped, so the core still serves HTTP and timers while an extension is being built.
 */
import type { JsonLogger } from './core/log.js';
import type { HostExtension } from './runtime/extension.js';

export interface ExtensionChoice {
  durable: boolean;
}

export async function loadExtensions(choice: ExtensionChoice, log: JsonLogger): Promise<HostExtension[]> {
  const extensions: HostExtension[] = [];
  if (choice.durable) {
    try {
      const durable = await import('./durable/index.js');
      extensions.push(durable.createDurableExtension());
    } catch (err) {
      log.error('the Durable Task extension could not be loaded; orchestrations will not run', { error: err });
    }
  }
  return extensions;
}
