import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { stackEnv } from './stack-env.js';

let blob: BlobServiceClient | undefined;
let cosmos: CosmosClient | undefined;

/** One BlobServiceClient per test worker, on the run's Azurite. */
export function blobServiceClient(): BlobServiceClient {
  blob ??= BlobServiceClient.fromConnectionString(stackEnv().blobConnectionString);
  return blob;
}

/**
 * One CosmosClient per test worker, on the run's cosmosdb-server. Endpoint discovery is off (the server has no
 * regions); TLS trust comes from NODE_EXTRA_CA_CERTS set by the global setup.
 */
export function cosmosClient(): CosmosClient {
  const env = stackEnv();
  cosmos ??= new CosmosClient({
    endpoint: env.cosmosEndpoint,
    key: env.cosmosKey,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  return cosmos;
}
