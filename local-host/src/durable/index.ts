/**
 * The local Durable Task extension: drives orchestrationTrigger / activityTrigger functions from a sqlite store,
 * serves the Durable HTTP API at /runtime/webhooks/durabletask (also the durableClient's rpcBaseUrl), supplies the
 * durableClient input binding and mounts the dashboard at /dashboard.
 */
import type { BindingInfo, FunctionInfo, HostExtension, HostServices, RpcTypedData } from '../runtime/extension.js';
import { createDashboardHandler } from '../dashboard/dashboard.js';
import { DurableEngine } from './engine.js';
import { FunctionLookup } from './function-lookup.js';
import { createWebhookHandler } from './http/routes.js';
import { durableClientBindingData, webhookPrefix } from './http/urls.js';
import { DurableManagement } from './management.js';
import { durableSettings } from './settings.js';
import { DurableStore } from './store.js';

export interface DurableExtensionOptions {
  /** Longest real-time sleep between timer checks. */
  timerPollMs?: number;
}

export function createDurableExtension(options: DurableExtensionOptions = {}): HostExtension {
  let host: HostServices | undefined;
  let store: DurableStore | undefined;
  let engine: DurableEngine | undefined;
  let hubName = 'TestHubName';

  return {
    name: 'DurableTask',
    triggerTypes: ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'],
    inputTypes: ['durableClient', 'orchestrationClient'],

    async start(h: HostServices): Promise<void> {
      host = h;
      const settings = durableSettings(h.hostJson);
      hubName = settings.hubName;
      const synchronous = (h.settings.DURABLE_SQLITE_SYNCHRONOUS ?? 'NORMAL').toUpperCase();
      if (synchronous !== 'OFF' && synchronous !== 'NORMAL' && synchronous !== 'FULL') {
        throw new Error(`DURABLE_SQLITE_SYNCHRONOUS must be OFF, NORMAL or FULL, got ${synchronous}`);
      }
      store = new DurableStore(h.dataDir, `durabletask-${hubName.replace(/[^A-Za-z0-9_-]/g, '_')}.sqlite`, synchronous);
      store.startCheckpointer();
      engine = new DurableEngine(store, h, {
        maxConcurrentActivities: settings.maxConcurrentActivityFunctions,
        maxConcurrentOrchestrators: settings.maxConcurrentOrchestratorFunctions,
        timerPollMs: options.timerPollMs ?? 250,
      });
      // Function names are case-insensitive in Azure Functions; the registered spelling is used from here on.
      const lookup = new FunctionLookup(() => h.functions());
      const resolveOrchestrator = (name: string): string | undefined => lookup.find(name, 'orchestrationTrigger')?.name;
      const mgmt = new DurableManagement(store, engine, h.clock, resolveOrchestrator);
      h.mountHttp(webhookPrefix, createWebhookHandler({ mgmt, hubName, baseUrl: h.baseUrl, log: h.log, nowMs: () => h.clock.now() }));
      h.mountHttp('/dashboard', createDashboardHandler({ mgmt, hubName, engine, baseUrl: h.baseUrl, log: h.log }));
      engine.start();
      h.log.info('durable task extension started', { store: h.dataDir, ...settings });
    },

    async resolveInput(_binding: BindingInfo, _fn: FunctionInfo): Promise<RpcTypedData> {
      if (!host) throw new Error('The Durable Task extension is not started.');
      return { json: JSON.stringify(durableClientBindingData(host.baseUrl, hubName)) };
    },

    async stop(): Promise<void> {
      await engine?.stop();
      store?.close();
      engine = undefined;
      store = undefined;
    },
  };
}
