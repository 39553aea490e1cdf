/** An app that enabled HTTP streaming: the host forwards requests to the library's proxy and streams both ways. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, repoRoot, startHostProcess } from './host-process.js';

let host: HostProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-stream-'));
  host = await startHostProcess(['--app', path.join(repoRoot, 'test/fixtures/http-stream-app'), '--data', dataDir, '--no-durable']);
});

afterAll(async () => {
  expect(await host?.stop()).toBe(0);
  await rm(dataDir, { recursive: true, force: true });
});

describe('local-host with enableHttpStream', () => {
  it('streams a large chunked upload into the handler', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const count = 64; // 4 MiB
    const hash = createHash('sha256');
    for (let i = 0; i < count; i++) hash.update(chunk);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= count) return controller.close();
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${host.baseUrl}/stream-api/upload/big`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/octet-stream' },
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'big', bytes: chunk.length * count, sha256: hash.digest('hex'), type: 'application/octet-stream' });
  });

  it('streams a response with status, headers and cookies', async () => {
    const res = await fetch(`${host.baseUrl}/stream-api/download?chunks=200`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.getSetCookie()).toEqual(['c=1']);
    const lines = (await res.text()).split('\n').filter(Boolean);
    expect(lines).toHaveLength(200);
    expect(lines[199]).toBe('line-199');
  });

  it('answers 500 without details when the handler throws, and 204 for no response', async () => {
    const res = await fetch(`${host.baseUrl}/stream-api/fail`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('failure detail');
    expect((await fetch(`${host.baseUrl}/stream-api/empty`)).status).toBe(204);
  });
});
