/** The route table of the app's HTTP-triggered functions: one entry per function, ordered by route precedence. */
import type { FunctionInfo } from '../runtime/extension.js';
import { type AuthLevel, normaliseAuthLevel } from '../config/keys.js';
import { resolveSettingReferences } from '../config/app-config.js';
import { compareRoutePrecedence, matchRoute, parseRouteTemplate, type RouteTemplate } from './route-template.js';

export interface HttpRoute {
  fn: FunctionInfo;
  route: RouteTemplate;
  /** Upper-case methods, or undefined for every method. */
  methods?: ReadonlySet<string>;
  authLevel: AuthLevel;
}

export interface RouteProblem {
  functionName: string;
  message: string;
}

export interface RouteTable {
  routes: HttpRoute[];
  problems: RouteProblem[];
}

export type RouteLookup =
  | { kind: 'match'; route: HttpRoute; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'none' };

export function isHttpTrigger(fn: FunctionInfo): boolean {
  return fn.trigger.type.toLowerCase() === 'httptrigger';
}

export function buildRouteTable(functions: readonly FunctionInfo[], settings: Readonly<Record<string, string | undefined>>): RouteTable {
  const routes: HttpRoute[] = [];
  const problems: RouteProblem[] = [];
  for (const fn of functions) {
    if (!isHttpTrigger(fn)) continue;
    try {
      const rawRoute = typeof fn.trigger.route === 'string' && fn.trigger.route.trim() !== '' ? fn.trigger.route : fn.name;
      const route = parseRouteTemplate(resolveSettingReferences(rawRoute, settings));
      const rawMethods = fn.trigger.methods;
      const methods = Array.isArray(rawMethods) && rawMethods.length > 0
        ? new Set(rawMethods.map((m) => String(m).toUpperCase()))
        : undefined;
      const entry: HttpRoute = { fn, route, authLevel: normaliseAuthLevel(fn.trigger.authLevel) };
      if (methods) entry.methods = methods;
      const clash = routes.find((r) => sameTemplate(r.route, route) && overlaps(r.methods, methods));
      if (clash) throw new Error(`route "${route.template}" is already served by "${clash.fn.name}" for the same method(s).`);
      routes.push(entry);
    } catch (err) {
      problems.push({ functionName: fn.name, message: (err as Error).message });
    }
  }
  routes.sort((a, b) => compareRoutePrecedence(a.route, b.route));
  return { routes, problems };
}

export function lookupRoute(table: RouteTable, method: string, pathSegments: readonly string[]): RouteLookup {
  const allowed = new Set<string>();
  for (const route of table.routes) {
    const params = matchRoute(route.route, pathSegments);
    if (!params) continue;
    if (!route.methods || route.methods.has(method) || (method === 'HEAD' && route.methods.has('GET'))) {
      return { kind: 'match', route, params };
    }
    for (const m of route.methods) allowed.add(m);
  }
  return allowed.size > 0 ? { kind: 'method-not-allowed', allowed: [...allowed].sort() } : { kind: 'none' };
}

function sameTemplate(a: RouteTemplate, b: RouteTemplate): boolean {
  const norm = (t: RouteTemplate): string => t.template.replace(/^\/+|\/+$/g, '').toLowerCase();
  return norm(a) === norm(b);
}

function overlaps(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (!a || !b) return true;
  for (const m of a) if (b.has(m)) return true;
  return false;
}
