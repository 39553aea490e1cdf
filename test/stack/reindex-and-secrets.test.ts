import { createServer, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestReindex, REINDEX_PATH } from '../../stack/src/reindex.js';
import { loadOrCreateSecrets } from '../../stack/src/secrets.js';
import { tempDir } from '../helpers/stack-env.js';

describe('reindex hook', () => {
  let server: Server;
  let url = '';
  const seen: { path: string; key: string | undefined }[] = [];
  let answer = 404;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', key: req.headers['x-functions-key'] as string | undefined });
      res.statusCode = answer;
      res.end(answer === 200 ? '{"rebuilt":3}' : 'nope');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('tolerates an app without the route (404), reports failures, and passes the master key', async () => {
    answer = 404;
    expect(await requestReindex({ hostUrl: url, masterKey: 'master-key' })).toEqual({ kind: 'absent' });
    answer = 500;
    expect(await requestReindex({ hostUrl: url, masterKey: 'master-key' })).toMatchObject({ kind: 'failed', reason: 'HTTP 500: nope' });
    answer = 200;
    expect(await requestReindex({ hostUrl: url, masterKey: 'master-key' })).toEqual({ kind: 'done', status: 200, body: '{"rebuilt":3}' });
    expect(seen.every((s) => s.path === REINDEX_PATH && s.key === 'master-key')).toBe(true);
    expect(await requestReindex({ hostUrl: 'http://127.0.0.1:1', masterKey: 'k' })).toMatchObject({ kind: 'failed' });
  });
});

describe('stack secrets', () => {
  it('are generated once and reused', async () => {
    const file = join(await tempDir('secrets'), 'secrets.json');
    const a = await loadOrCreateSecrets(file);
    const b = await loadOrCreateSecrets(file);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.secrets).toEqual(a.secrets);
  });

  it('an older file missing fields is completed without changing the fields it has', async () => {
    const file = join(await tempDir('secrets'), 'secrets.json');
    await writeFile(file, JSON.stringify({ botAppId: 'my-bot', tenantId: 'my-tenant' }));
    const { secrets, created } = await loadOrCreateSecrets(file);
    expect(created).toBe(true);
    expect(secrets.botAppId).toBe('my-bot');
    expect(secrets.workerSharedKey.length).toBeGreaterThanOrEqual(16);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(secrets);
  });

  it('a malformed file is a clear error and is left as it was', async () => {
    const file = join(await tempDir('secrets'), 'secrets.json');
    await writeFile(file, '{ not json');
    await expect(loadOrCreateSecrets(file)).rejects.toThrow(/secrets\.json is not valid JSON/);
    await writeFile(file, JSON.stringify({ botAppSecret: 'short' }));
    await expect(loadOrCreateSecrets(file)).rejects.toThrow(/malformed \(botAppSecret\)/);
    expect(await readFile(file, 'utf8')).toBe(JSON.stringify({ botAppSecret: 'short' }));
  });
});
