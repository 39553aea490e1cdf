import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLocalMediaConfig } from '../../contracts/bridge/index.js';
import { LOCAL_HOST_ENTRY } from '../../stack/src/parts/local-host.js';
import { MEDIA_WORKER_ENTRY } from '../../stack/src/parts/media-worker.js';
import { hasEntry } from '../../stack/src/parts/node-service.js';
import { SIMULATOR_ENTRY } from '../../stack/src/parts/simulator.js';
import { ANY_PORTS } from '../../stack/src/ports.js';
import { startStack, type RunningStack } from '../../stack/src/stack.js';
import { stackEnv, tempDir, uniqueName } from '../helpers/stack-env.js';

const stacks: RunningStack[] = [];
afterAll(async () => {
  await Promise.allSettled(stacks.map((s) => s.stop()));
});

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const productParts = [
  { name: 'simulator', entry: SIMULATOR_ENTRY, health: '/health' },
  { name: 'media-worker', entry: MEDIA_WORKER_ENTRY, health: '/health' },
  { name: 'local-host', entry: LOCAL_HOST_ENTRY, health: '/admin/host/status' },
] as const;

describe('startStack', { timeout: 400_000 }, () => {
  it('starts every built part wired together, stops without leftovers, and keeps data across a restart', async () => {
    const root = await tempDir('stack');
    // Reuse the run's certificate (this test worker trusts it), as a second `npm start` reuses .stack/certs.
    await mkdir(join(root, '.stack', 'certs'), { recursive: true });
    await copyFile(stackEnv().certFile, join(root, '.stack', 'certs', 'cert.pem'));
    await copyFile(stackEnv().keyFile, join(root, '.stack', 'certs', 'key.pem'));
    const hookCalls: string[] = [];
    const start = () =>
      startStack({
        root,
        ports: ANY_PORTS,
        log: false,
        say: () => undefined,
        onCosmosStarted: async (s) => {
          hookCalls.push(s.urls.host ?? 'no host');
        },
      });

    const first = await start();
    stacks.push(first);
    expect(first.certs.created).toBe(false);
    // A second stack on the same root would share .data/: refused while the first runs.
    await expect(start()).rejects.toThrow(/another stack \(pid \d+\) is running/);
    const secretsMode = (await stat(first.layout.secretsFile)).mode & 0o777;
    expect(secretsMode).toBe(0o600);

    for (const part of productParts) {
      const running = first.part(part.name);
      const notice = first.notices.find((n) => n.name === part.name);
      if (hasEntry(part.entry)) {
        // A built part must run; a failure shows its output here.
        expect(notice?.reason, `${part.name} should start`).toBeUndefined();
        expect(running).toBeDefined();
        const res = await fetch(`${running?.url}${part.health}`);
        expect(res.status, `${part.name} health`).toBe(200);
      } else {
        expect(notice?.kind).toBe('skipped');
      }
    }
    if (first.urls.host) {
      expect(hookCalls).toEqual([first.urls.host]);
      expect(first.appSettings.CALLBACK_BASE_URL).toBe(`${first.urls.host}/api`);
      // A pool of two by default, both in the app's list.
      expect(first.appSettings.MEDIA_WORKER_URLS).toMatch(/^worker-1=http:\/\/127\.0\.0\.1:\d+,worker-2=http:\/\/127\.0\.0\.1:\d+$/);
      expect(first.appSettings.BOT_APP_ID).toBe(first.secrets.botAppId);
    }
    if (first.urls.simulator) {
      expect(first.appSettings.GRAPH_BASE_URL).toBe(`${first.urls.simulator}/v1.0`);
      const openid = await fetch(first.appSettings.GRAPH_NOTIFICATION_OPENID_URL ?? '');
      expect(openid.status).toBe(200);
    }

    const connection = first.appSettings.BLOB_CONNECTION_STRING ?? '';
    const container = uniqueName('kept');
    await BlobServiceClient.fromConnectionString(connection).getContainerClient(container).create();
    const recordings = await BlobServiceClient.fromConnectionString(connection).getContainerClient('recordings').exists();
    expect(recordings).toBe(true);

    if (hasEntry(MEDIA_WORKER_ENTRY)) {
      // Each worker names the other's bridge as its alternate (the local media config carries it).
      const urls = first.urls.mediaWorkers ?? {};
      expect(Object.keys(urls)).toEqual(['worker-1', 'worker-2']);
      expect(first.part('media-worker-2')?.url).toBe(urls['worker-2']);
      const bridges: string[] = [];
      const alternates: string[][] = [];
      for (const url of Object.values(urls)) {
        const res = await fetch(`${url}/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-worker-key': first.secrets.workerSharedKey },
          body: JSON.stringify({ callId: uniqueName('pool'), callChainId: 'c', tenantId: 't', region: 'emea' }),
        });
        expect(res.status).toBe(201);
        const body = (await res.json()) as { sessionId: string; mediaConfig: { blob: string } };
        const cfg = decodeLocalMediaConfig(body.mediaConfig.blob);
        bridges.push(cfg.bridge);
        alternates.push(cfg.alternates ?? []);
        await fetch(`${url}/sessions/${body.sessionId}`, { method: 'DELETE', headers: { 'x-worker-key': first.secrets.workerSharedKey } });
      }
      expect(alternates).toEqual([[bridges[1]], [bridges[0]]]);
    }

    const pids = first.parts.map((p) => p.pid);
    expect(pids.every(isAlive)).toBe(true);
    await first.stop();
    expect(pids.filter(isAlive)).toEqual([]);

    const second = await start();
    stacks.push(second);
    expect(second.secrets).toEqual(first.secrets);
    const client = BlobServiceClient.fromConnectionString(second.appSettings.BLOB_CONNECTION_STRING ?? '');
    expect(await client.getContainerClient(container).exists()).toBe(true);
    await second.stop();
    expect(second.parts.map((p) => p.pid).filter(isAlive)).toEqual([]);
  });
});
