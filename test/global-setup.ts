// Starts Azurite and cosmosdb-server once per test run, on free ports in a temp dir, and provides their settings to
// every test file (`stackEnv()` in test/helpers). Test workers trust our certificate through NODE_EXTRA_CA_CERTS,
// which is set here before vitest forks them (Node reads it at process start).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../stack/src/parts/azurite.js';
import { ensureCertificate, writeTrustFile } from '../stack/src/parts/certs.js';
import { startCosmos } from '../stack/src/parts/cosmos.js';
import type { RunningPart } from '../stack/src/parts/running-part.js';
import { reapByEnv } from '../stack/src/process/reap.js';
import type { TestStackEnv } from './helpers/provided-context.js';

/** Child output is shown only when asked: `TEST_STACK_LOGS=1 npx vitest run …`. */
const log = process.env.TEST_STACK_LOGS === '1';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'recorder-test-'));
  const certs = await ensureCertificate({ dir: join(tmpDir, 'certs') });
  const caFile = await writeTrustFile(certs.certFile, join(tmpDir, 'certs', 'trust.pem'), process.env.NODE_EXTRA_CA_CERTS);
  process.env.NODE_EXTRA_CA_CERTS = caFile;
  // Inherited by the test workers and everything they start: lets the teardown find processes a suite left behind.
  process.env.RECORDER_TEST_RUN = tmpDir;

  const started: RunningPart[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(started.map((part) => part.stop()));
    // Whatever a suite started and did not stop (it carries this run's RECORDER_TEST_RUN) is killed and named.
    const leftovers = await reapByEnv('RECORDER_TEST_RUN', tmpDir);
    for (const p of leftovers) {
      process.stderr.write(`[global-setup] killed leftover process ${p.pid} (a suite did not stop it): ${p.command.slice(0, 200)}\n`);
    }
    await rm(tmpDir, { recursive: true, force: true });
  };
  try {
    const [azurite, cosmos] = await Promise.all([
      startAzurite({ dataDir: join(tmpDir, 'azurite'), caFile, log }).then((p) => (started.push(p), p)),
      startCosmos({ certFile: certs.certFile, keyFile: certs.keyFile, caFile, log }).then((p) => (started.push(p), p)),
    ]);
    const blobConnectionString = required(azurite.env, 'BLOB_CONNECTION_STRING');
    const provided: TestStackEnv = {
      tmpDir,
      certFile: certs.certFile,
      keyFile: certs.keyFile,
      caFile,
      blobConnectionString,
      cosmosEndpoint: required(cosmos.env, 'COSMOS_ENDPOINT'),
      cosmosKey: required(cosmos.env, 'COSMOS_KEY'),
      azurite: { url: azurite.url, pid: azurite.pid },
      cosmos: { url: cosmos.url, pid: cosmos.pid },
      env: {
        BLOB_CONNECTION_STRING: blobConnectionString,
        AzureWebJobsStorage: blobConnectionString,
        COSMOS_ENDPOINT: required(cosmos.env, 'COSMOS_ENDPOINT'),
        COSMOS_KEY: required(cosmos.env, 'COSMOS_KEY'),
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
        NODE_EXTRA_CA_CERTS: caFile,
      },
    };
    project.provide('testStack', provided);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

function required(env: Readonly<Record<string, string>>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`global setup: part did not export ${name}`);
  return value;
}
