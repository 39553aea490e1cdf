/**
 * The HostExtension seam, in process: a small real extension claims a trigger type and an input type, mounts an
 * HTTP prefix and drives functions through HostServices.invoke (what the Durable extension does).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHost, startHost } from '../../../local-host/src/host.js';
import type { BindingInfo, FunctionInfo, HostExtension, HostServices, RpcTypedData } from '../../../local-host/src/runtime/extension.js';
import { repoRoot } from './host-process.js';

class TestExtension implements HostExtension {
  readonly name = 'Test';
  readonly triggerTypes = ['testTrigger'];
  readonly inputTypes = ['testInput'];
  host: HostServices | undefined;
  stopped = false;
  readonly resolved: string[] = [];

  async start(host: HostServices): Promise<void> {
    this.host = host;
    host.mountHttp('/ext', (req, res, subPath) => this.#serve(req, res, subPath));
  }

  async resolveInput(binding: BindingInfo, fn: FunctionInfo): Promise<RpcTypedData> {
    this.resolved.push(`${fn.name}.${binding.name}`);
    return { json: JSON.stringify({ from: 'extension', binding: binding.name }) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  async #serve(req: IncomingMessage, res: ServerResponse, subPath: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const name = subPath.replace(/^\//, '');
    try {
      const result = await this.host?.invoke(name, {
        triggerData: { json: Buffer.concat(chunks).toString() || 'null' },
        triggerMetadata: { Source: { string: 'test' } },
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ subPath, returnValue: result?.returnValue ?? null }));
    } catch (err) {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: (err as Error).message }));
    }
  }
}

const extension = new TestExtension();
let host: RunningHost;
let dataDir: string;
const banner: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'local-host-ext-'));
  host = await startHost({
    appDir: path.join(repoRoot, 'test/fixtures/extension-app'),
    port: 0,
    dataDir,
    logLevel: 'warn',
    extensions: [extension],
    print: (line) => banner.push(line),
  });
});

afterAll(async () => {
  await host?.stop();
  expect(extension.stopped).toBe(true);
  await rm(dataDir, { recursive: true, force: true });
});

describe('HostExtension seam', () => {
  it('starts the extension with the services of a listening host', () => {
    const services = extension.host;
    expect(services?.baseUrl).toBe(host.baseUrl);
    expect(services?.dataDir).toBe(dataDir);
    expect(services?.hostJson).toMatchObject({ extensions: { test: { greeting: 'from host.json' } } });
    expect(services?.functions().map((f) => [f.name, f.trigger.type])).toEqual([
      ['echoExt', 'testTrigger'],
      ['failExt', 'testTrigger'],
    ]);
    expect(host.problems).toEqual([]);
    expect(banner.at(-1)).toBe(`READY local-host ${host.baseUrl}`);
  });

  it('invokes through the library with trigger data, metadata and extension-supplied inputs', async () => {
    const res = await fetch(`${host.baseUrl}/ext/echoExt`, { method: 'POST', body: JSON.stringify({ a: 1, s: 'x' }) });
    const body = (await res.json()) as { subPath: string; returnValue: RpcTypedData };
    expect(body.subPath).toBe('/echoExt');
    expect(JSON.parse(body.returnValue.json ?? 'null')).toEqual({
      got: { a: 1, s: 'x' },
      supplied: { from: 'extension', binding: 'supplied' },
      functionName: 'echoExt',
      metadata: { source: 'test' },
    });
    expect(extension.resolved).toContain('echoExt.supplied');
  });

  it("rejects with the handler's error", async () => {
    const res = await fetch(`${host.baseUrl}/ext/failExt`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'extension-driven failure' });
  });

  it('rejects an unknown function with a clear error', async () => {
    const res = await fetch(`${host.baseUrl}/ext/nope`, { method: 'POST' });
    expect(await res.json()).toEqual({ error: 'Function "nope" is not registered.' });
  });
});
