import { describe, expect, it } from 'vitest';
import {
  compareRoutePrecedence,
  matchRoute,
  parseRouteTemplate,
  RouteTemplateError,
  splitPath,
} from '../../../local-host/src/http/route-template.js';
import { buildRouteTable, lookupRoute } from '../../../local-host/src/http/http-routes.js';
import type { FunctionInfo } from '../../../local-host/src/runtime/extension.js';

const match = (template: string, path: string): Record<string, string> | undefined =>
  matchRoute(parseRouteTemplate(template), splitPath(path) ?? []);

describe('route templates', () => {
  it('matches literal segments case-insensitively and ignores trailing slashes', () => {
    expect(match('calls/notify', 'Calls/NOTIFY/')).toEqual({});
    expect(match('calls/notify', 'calls')).toBeUndefined();
    expect(match('calls/notify', 'calls/notify/extra')).toBeUndefined();
  });

  it('binds parameters, percent-decoded', () => {
    expect(match('calls/{callId}/events/{kind}', 'calls/abc%20d/events/x')).toEqual({ callId: 'abc d', kind: 'x' });
  });

  it('supports optional parameters and defaults', () => {
    expect(match('opt/{name?}', 'opt')).toEqual({});
    expect(match('opt/{name?}', 'opt/bob')).toEqual({ name: 'bob' });
    expect(match('page/{n=1}', 'page')).toEqual({ n: '1' });
    expect(match('page/{n=1}', 'page/7')).toEqual({ n: '7' });
  });

  it('supports catch-all parameters', () => {
    expect(match('files/{*path}', 'files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(match('files/{**path}', 'files')).toEqual({});
  });

  it('applies constraints', () => {
    expect(match('items/{id:int}', 'items/42')).toEqual({ id: '42' });
    expect(match('items/{id:int}', 'items/4a')).toBeUndefined();
    expect(match('items/{id:int:min(10)}', 'items/9')).toBeUndefined();
    expect(match('items/{id:range(1,5)}', 'items/5')).toEqual({ id: '5' });
    expect(match('items/{id:guid}', 'items/0f8fad5b-d9cb-469f-a165-70867728950e')).toBeDefined();
    expect(match('items/{id:guid}', 'items/nope')).toBeUndefined();
    expect(match('w/{s:alpha}', 'w/abc')).toEqual({ s: 'abc' });
    expect(match('w/{s:alpha}', 'w/ab1')).toBeUndefined();
    expect(match('w/{s:length(2,3)}', 'w/abcd')).toBeUndefined();
    expect(match('w/{s:regex(^a+b$)}', 'w/aab')).toEqual({ s: 'aab' });
    expect(match('w/{b:bool}', 'w/TRUE')).toEqual({ b: 'TRUE' });
  });

  it('supports complex segments', () => {
    expect(match('dl/{file}.{ext}', 'dl/report.final.pdf')).toEqual({ file: 'report.final', ext: 'pdf' });
    expect(match('dl/{file}.{ext}', 'dl/noext')).toBeUndefined();
  });

  it('rejects bad templates with a reason', () => {
    expect(() => parseRouteTemplate('a/{id')).toThrow(RouteTemplateError);
    expect(() => parseRouteTemplate('a/{id}/{id}')).toThrow(/twice/);
    expect(() => parseRouteTemplate('a/{*rest}/b')).toThrow(/catch-all/);
    expect(() => parseRouteTemplate('a/{id:nosuch}')).toThrow(/unknown constraint/);
    expect(() => parseRouteTemplate('a/{x?}/b')).toThrow(/optional/);
    expect(() => parseRouteTemplate('a//b')).toThrow(/empty segment/);
  });

  it('orders literal before constrained before plain before catch-all', () => {
    const templates = ['items/{*rest}', 'items/{name}', 'items/{id:int}', 'items/special'].map(parseRouteTemplate);
    const ordered = [...templates].sort(compareRoutePrecedence).map((t) => t.template);
    expect(ordered).toEqual(['items/special', 'items/{id:int}', 'items/{name}', 'items/{*rest}']);
  });

  it('refuses invalid percent-encoding in paths', () => {
    expect(splitPath('/a/%E0%A4%A')).toBeUndefined();
  });
});

describe('route table', () => {
  const fn = (name: string, route: string, methods: string[]): FunctionInfo => {
    const trigger = { name: 'req', type: 'httpTrigger', direction: 'in' as const, route, methods, authLevel: 'anonymous' };
    return { name, trigger, bindings: [trigger] };
  };

  it('reports a second function on the same route and method, and resolves %settings% in routes', () => {
    const table = buildRouteTable(
      [fn('a', 'calls/{id}', ['GET']), fn('b', 'Calls/{id}/', ['GET', 'POST']), fn('c', 'calls/{id}', ['DELETE']), fn('d', '%BASE%/x', ['GET'])],
      { BASE: 'root' },
    );
    expect(table.problems).toEqual([{ functionName: 'b', message: expect.stringMatching(/already served by "a"/) }]);
    expect(table.routes.map((r) => r.fn.name).sort()).toEqual(['a', 'c', 'd']);
    const found = lookupRoute(table, 'GET', ['root', 'x']);
    expect(found.kind === 'match' && found.route.fn.name).toBe('d');
    expect(lookupRoute(table, 'PUT', ['calls', '1'])).toEqual({ kind: 'method-not-allowed', allowed: ['DELETE', 'GET'] });
  });
});
