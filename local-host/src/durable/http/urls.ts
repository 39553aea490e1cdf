/** The URLs the real extension generates (HttpManagementPayload, durableClient binding data). */
export const webhookPrefix = '/runtime/webhooks/durabletask';
export const connectionName = 'Storage';
export const instanceIdPlaceholder = 'INSTANCEID';

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

export function requiredQuery(hubName: string): string {
  return `taskHub=${encodeURIComponent(hubName)}&connection=${connectionName}`;
}

/** Keys in the order of the real payload. `id` is used as given in the payload and URL-encoded in the URLs. */
export function managementUrls(origin: string, hubName: string, id: string): ManagementUrls {
  const q = requiredQuery(hubName);
  const encoded = id === instanceIdPlaceholder ? id : encodeURIComponent(id);
  const p = `${origin}${webhookPrefix}/instances/${encoded}`;
  return {
    id,
    statusQueryGetUri: `${p}?${q}`,
    sendEventPostUri: `${p}/raiseEvent/{eventName}?${q}`,
    terminatePostUri: `${p}/terminate?reason={text}&${q}`,
    rewindPostUri: `${p}/rewind?reason={text}&${q}`,
    purgeHistoryDeleteUri: `${p}?${q}`,
    restartPostUri: `${p}/restart?${q}`,
    suspendPostUri: `${p}/suspend?reason={text}&${q}`,
    resumePostUri: `${p}/resume?reason={text}&${q}`,
  };
}

/** The durableClient input binding value (EXT BindingHelper.DurableOrchestrationClientToString). */
export function durableClientBindingData(origin: string, hubName: string) {
  const q = requiredQuery(hubName);
  const base = `${origin}${webhookPrefix}`;
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${q}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
    },
    managementUrls: managementUrls(origin, hubName, instanceIdPlaceholder),
    baseUrl: base,
    requiredQueryStringParameters: q,
    rpcBaseUrl: `${base}/`,
  };
}
