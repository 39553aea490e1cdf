/**
 * Builds every SDK client and service once per process from the configuration, and hands them to handlers and
 * activities (dependency injection; no client per invocation).
 */
import { CosmosClient } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { CallJsonWriter } from './adapters/blob.js';
import { ConversationStore } from './adapters/cosmos.js';
import { GraphCallsClient } from './adapters/graph.js';
import { WorkerClient } from './adapters/worker.js';
import { WorkerRegistry } from './adapters/worker-registry.js';
import { loadConfig, type AppConfig } from './config.js';
import { consoleSink, Logger } from './log.js';
import { AnswerService } from './webhook/answer-call.js';
import { CallbackReceiver } from './webhook/receiver.js';

export interface AppDeps {
  config: AppConfig;
  graph: GraphCallsClient;
  workers: WorkerClient;
  registry: WorkerRegistry;
  receiver: CallbackReceiver;
  answers: AnswerService;
  conversations: ConversationStore;
  callJson: CallJsonWriter;
  log: Logger;
}

export function createDependencies(config: AppConfig, log = new Logger(consoleSink, { app: 'recorder' })): AppDeps {
  const graph = new GraphCallsClient({
    botAppId: config.botAppId,
    botAppSecret: config.botAppSecret,
    graphBaseUrl: config.graphBaseUrl,
    authorityHost: config.graphAuthorityHost,
    requestTimeoutMs: config.graphTimeoutMs,
  });
  const workers = new WorkerClient({ sharedKey: config.workerSharedKey, timeoutMs: config.workerTimeoutMs, workers: config.workers });
  const registry = new WorkerRegistry(workers, config.workers, { refreshIntervalMs: 5_000, loadTimeoutMs: 1_000 });
  const receiver = new CallbackReceiver({
    openIdConfigurationUrl: config.notificationOpenIdUrl,
    audience: config.botAppId,
    allowedTenantIds: config.allowedTenantIds,
  });
  const answers = new AnswerService({ graph, workers, registry, policies: config.policies, callbackBaseUrl: config.callbackBaseUrl });
  const cosmos = new CosmosClient({
    endpoint: config.cosmos.endpoint,
    ...(config.cosmos.key ? { key: config.cosmos.key } : { aadCredentials: new DefaultAzureCredential() }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  const conversations = new ConversationStore(cosmos, config.cosmos.database, config.cosmos.conversationsContainer);
  const blobService =
    'connectionString' in config.blob
      ? BlobServiceClient.fromConnectionString(config.blob.connectionString)
      : new BlobServiceClient(config.blob.accountUrl, new DefaultAzureCredential());
  const callJson = new CallJsonWriter(blobService, config.recordingsContainer);
  return { config, graph, workers, registry, receiver, answers, conversations, callJson, log };
}

let instance: { deps: AppDeps } | { error: Error } | null = null;

/** The process-wide dependencies, built on first use. A configuration error is remembered and rethrown. */
export function appDeps(): AppDeps {
  if (!instance) {
    try {
      instance = { deps: createDependencies(loadConfig()) };
    } catch (err) {
      instance = { error: err as Error };
    }
  }
  if ('error' in instance) throw instance.error;
  return instance.deps;
}

/** Warms caches that would otherwise cost the first call (JWKS, worker load, Graph tokens of allowed tenants). */
export async function warmUp(deps: AppDeps): Promise<void> {
  await Promise.allSettled([
    deps.receiver.warmUp(),
    deps.registry.refresh(),
    ...deps.config.allowedTenantIds.map((t) => deps.graph.warmUp(t)),
  ]);
}
