import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StackSecrets } from './secrets.js';

export const WORKER_ID = 'worker-1';
export const RECORDINGS_CONTAINER = 'recordings';
export const COSMOS_DATABASE = 'recorder';

export interface AppSettingsInput {
  readonly secrets: StackSecrets;
  /** `http://127.0.0.1:<port>` of the local host (chosen before it starts: other parts need it first). */
  readonly hostUrl: string;
  /** Environment of the started infrastructure and simulator parts (connection strings, GRAPH_* …). */
  readonly partEnv: Readonly<Record<string, string>>;
  /** `workerId=controlUrl` list. */
  readonly mediaWorkerUrls: string;
}

/** The recorder's global calling webhook on the local host. */
export function notificationUrl(hostUrl: string): string {
  return `${hostUrl}/api/calling/notifications`;
}

/** The Functions app's settings (ARCHITECTURE.md → Configuration), as the local host passes them to the app. */
/**
 * Arguments for the app's Node worker (`languageWorkers__node__arguments`, the same setting on Azure). An old
 * generation sized for the app's working set keeps mark-compacts off the webhook's answer path: Node 20's web streams
 * (in every HTTP invocation's request) survive young GC and filled the default old space every 1–3 s.
 * bench:answer (50 calls/s): p99 11.5 ms with it, 23–37 ms without; app CPU 9.6 vs 13–15 ms per call.
 */
export const NODE_WORKER_ARGUMENTS = '--initial-old-space-size=512';

export function appSettings(input: AppSettingsInput): Record<string, string> {
  const { secrets } = input;
  return {
    ...input.partEnv,
    AZURE_FUNCTIONS_ENVIRONMENT: 'Development',
    BOT_APP_ID: secrets.botAppId,
    BOT_APP_SECRET: secrets.botAppSecret,
    ALLOWED_TENANT_IDS: secrets.tenantId,
    CALLBACK_BASE_URL: `${input.hostUrl}/api`,
    RECORDINGS_CONTAINER,
    COSMOS_DATABASE,
    MEDIA_WORKER_URLS: input.mediaWorkerUrls,
    WORKER_SHARED_KEY: secrets.workerSharedKey,
    FUNCTIONS_MASTER_KEY: secrets.functionsMasterKey,
    FUNCTIONS_HOST_KEY: secrets.functionsHostKey,
    languageWorkers__node__arguments: NODE_WORKER_ARGUMENTS,
  };
}

/** Writes `settings` as a local.settings.json-format file (mode 0600: it holds secrets). */
export async function writeSettingsFile(file: string, settings: Readonly<Record<string, string>>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const body = { IsEncrypted: false, Values: { FUNCTIONS_WORKER_RUNTIME: 'node', ...settings } };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}
