// kill -9 of the worker mid-stream -> restart + replay -> the stored stream equals the sent bytes, no duplicate chunk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../media-worker/src/clients.js';
import { loadConfig } from '../../media-worker/src/config.js';
import { Ed25519FileSigner } from '../../media-worker/src/manifest/signer.js';
import { verifyRecording } from '../../media-worker/src/verify/verify-recording.js';
import { stackEnv, tempDir, uniqueName } from '../helpers/stack-env.js';
import { SHARED_KEY, api, expectedSha, frame, reserveAndConnect, waitFor } from './helpers/worker-harness.js';
import { compileWorker, freePort, killHard, spawnWorker, type WorkerProcess } from './helpers/worker-process.js';

const running: WorkerProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map(killHard));
});

beforeAll(async () => {
  await compileWorker();
}, 180_000);

describe('crash safety', () => {
  it('after kill -9 and restart, replayed frames complete the recording: no acked frame lost, no duplicate chunk', async () => {
    const env = {
      MEDIA_WORKER_ID: 'w-crash',
      MEDIA_WORKER_CONTROL_PORT: String(await freePort()),
      MEDIA_WORKER_BRIDGE_PORT: String(await freePort()),
      MEDIA_WORKER_DATA_DIR: await tempDir('crash'),
      BLOB_CONNECTION_STRING: stackEnv().blobConnectionString,
      RECORDINGS_CONTAINER: uniqueName('crash'),
      WORKER_SHARED_KEY: SHARED_KEY,
      MEDIA_WORKER_CHUNK_MS: '200',
      MEDIA_WORKER_LOG: 'warn',
    };
    let proc = await spawnWorker(env);
    running.push(proc);
    const s = await reserveAndConnect(proc.url);
    await api(proc.url, 'POST', `/sessions/${s.sessionId}/recording`, { status: 'granted' });
    s.client.startStream(0, 'mixed');

    const total = 400;
    for (let seq = 1; seq <= 205; seq++) await s.client.send('mixed', frame('mixed', seq));
    await waitFor(() => s.client.ackedSeq('mixed') >= 100, 30_000, 'first acks');
    const ackedBeforeCrash = s.client.ackedSeq('mixed');
    await killHard(proc);
    // The bridge keeps sending while the worker is down: those frames stay in its un-acked buffer.
    for (let seq = 206; seq <= 300; seq++) await s.client.send('mixed', frame('mixed', seq));
    expect(s.client.unackedCount('mixed')).toBe(300 - ackedBeforeCrash);
    const sender = (async () => {
      await waitFor(() => s.client.connected, 60_000, 'reconnect');
      for (let seq = 301; seq <= total; seq++) await s.client.send('mixed', frame('mixed', seq));
    })();

    proc = await spawnWorker(env);
    running.push(proc);
    for (let attempt = 0; ; attempt++) {
      try {
        const welcome = await s.client.connect();
        expect(welcome.durable.find((d) => d.streamId === 'mixed')?.seq ?? 0).toBeGreaterThanOrEqual(ackedBeforeCrash);
        break;
      } catch (err) {
        if (attempt > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await sender;
    s.client.endStream('mixed');
    await s.client.waitAcked('mixed', total, 60_000);
    const sealed = await api(proc.url, 'POST', `/sessions/${s.sessionId}/seal`, {});
    expect(sealed.status).toBe(200);
    expect(sealed.json).toMatchObject({ streams: [{ streamId: 'mixed', frames: total, chunks: total / 10, firstSeq: 1, lastSeq: total }] });

    const config = loadConfig(env);
    const store = await createObjectStore(config);
    const names: string[] = [];
    for await (const o of store.list('')) if (o.name.endsWith('.pcm')) names.push(o.name);
    expect(names.length).toBe(total / 10);
    expect(new Set(names.map((n) => n.slice(-12))).size).toBe(total / 10);
    const verifier = await Ed25519FileSigner.fromFile(config.signingKeyFile, { createIfMissing: false });
    const verdict = await verifyRecording({ callId: s.callId }, { store, verifier });
    expect(verdict.problems).toEqual([]);
    expect(verdict.streams[0]?.sha256).toBe(expectedSha('mixed', 1, total));

    // The CLI gives the same verdict from the environment alone.
    const { spawnSync } = await import('node:child_process');
    const { REPO } = await import('./helpers/worker-process.js');
    // The worker's key file, named explicitly: a local stack's `.stack/env.json` in the checkout names its own key.
    const cliEnv = { ...process.env, ...env, MANIFEST_SIGNING_KEY_FILE: config.signingKeyFile };
    const cli = spawnSync(process.execPath, ['dist/media-worker/src/verify-cli.js', s.callId], { cwd: REPO, env: cliEnv, encoding: 'utf8' });
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`call ${s.callId}: INTACT`));
    const missing = spawnSync(process.execPath, ['dist/media-worker/src/verify-cli.js', 'no-such-call'], { cwd: REPO, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stdout).toMatch(/NOT INTACT[\s\S]*no manifest found/);
    s.client.close();
    proc.child.kill('SIGTERM');
  });
});
