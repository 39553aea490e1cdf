import { describe, expect, it } from 'vitest';
import { globBase, globToRegExp } from '../../../local-host/src/core/glob.js';
import { serializeCookie, toRpcHttpTrigger } from '../../../local-host/src/http/rpc-http.js';
import { authorise, normaliseAuthLevel, type HostKeys } from '../../../local-host/src/config/keys.js';
import { applyHostJsonOverrides, functionTimeoutMs } from '../../../local-host/src/config/app-config.js';

describe('entry point globs', () => {
  it('matches *, ** and {a,b}', () => {
    expect(globToRegExp('dist/src/functions/*.js').test('dist/src/functions/http.js')).toBe(true);
    expect(globToRegExp('dist/src/functions/*.js').test('dist/src/functions/sub/http.js')).toBe(false);
    expect(globToRegExp('dist/**/*.js').test('dist/a/b/c.js')).toBe(true);
    expect(globToRegExp('dist/**/*.js').test('dist/c.js')).toBe(true);
    expect(globToRegExp('src/{a,b}.js').test('src/b.js')).toBe(true);
    expect(globToRegExp('src/{a,b}.js').test('src/c.js')).toBe(false);
    expect(globBase('dist/src/functions/*.js')).toBe('dist/src/functions');
  });
});

describe('RpcHttp conversions', () => {
  it('serialises cookies like the host', () => {
    expect(
      serializeCookie({
        name: 'a',
        value: 'b',
        path: { value: '/' },
        httpOnly: { value: true },
        secure: { value: true },
        sameSite: 'explicitNone',
        maxAge: { value: 60 },
        expires: { value: { seconds: 0 } },
      }),
    ).toBe('a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=None');
    expect(() => serializeCookie({ name: 'bad name', value: 'x' })).toThrow(/Invalid cookie name/);
  });

  it('builds the trigger with params in metadata and the body as bytes', () => {
    const t = toRpcHttpTrigger({
      method: 'POST',
      url: 'http://h/api/x?q=1&q=2',
      headers: { 'content-type': 'application/octet-stream', 'x-multi': ['1', '2'] },
      query: new URLSearchParams('q=1&q=2'),
      params: { id: '7' },
      body: Buffer.from([0, 255, 1]),
    });
    const http = t.triggerData.http as Record<string, unknown>;
    expect(http.query).toEqual({ q: '1,2' });
    expect(http.headers).toMatchObject({ 'x-multi': '1, 2' });
    expect([...((http.body as { bytes: Uint8Array }).bytes)]).toEqual([0, 255, 1]);
    expect(t.triggerMetadata.id).toEqual({ string: '7' });
  });
});

describe('auth levels', () => {
  const keys: HostKeys = { masterKey: 'master', functionKeys: ['fn'], source: 'settings', file: '' };
  it('anonymous needs nothing; function takes host, function or master keys; admin only the master key', () => {
    expect(authorise('anonymous', undefined, keys, [])).toBe(true);
    expect(authorise('function', undefined, keys, [])).toBe(false);
    expect(authorise('function', 'fn', keys, [])).toBe(true);
    expect(authorise('function', 'per-function', keys, ['per-function'])).toBe(true);
    expect(authorise('function', 'master', keys, [])).toBe(true);
    expect(authorise('function', 'wrong', keys, [])).toBe(false);
    expect(authorise('admin', 'fn', keys, [])).toBe(false);
    expect(authorise('admin', 'master', keys, [])).toBe(true);
    expect(normaliseAuthLevel('Function')).toBe('function');
    expect(normaliseAuthLevel('system')).toBe('admin');
  });
});

describe('host.json overrides and functionTimeout', () => {
  it('applies AzureFunctionsJobHost__ settings case-insensitively', () => {
    const hostJson = { version: '2.0', extensions: { durableTask: { hubName: 'A' } }, functionTimeout: '00:05:00' };
    const out = applyHostJsonOverrides(hostJson, {
      AzureFunctionsJobHost__extensions__DURABLETASK__hubName: 'B',
      azurefunctionsjobhost__extensions__http__routePrefix: 'x',
      AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions: '4',
      OTHER: 'ignored',
    });
    expect(out.extensions).toEqual({ durableTask: { hubName: 'B', maxConcurrentActivityFunctions: 4 }, http: { routePrefix: 'x' } });
    expect(hostJson.extensions.durableTask.hubName).toBe('A');
    expect(functionTimeoutMs(out)).toBe(300_000);
    expect(functionTimeoutMs({ functionTimeout: '-1' } as never)).toBeUndefined();
    expect(() => functionTimeoutMs({ functionTimeout: 'soon' } as never)).toThrow(/TimeSpan/);
  });
});
