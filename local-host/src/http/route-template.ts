/**
 * ASP.NET-style route templates as the Functions host accepts them: literal segments, `{name}`, `{name?}`,
 * `{name=default}`, `{*rest}` / `{**rest}` catch-alls, inline constraints (`{id:int}`, `{n:range(1,9)}`,
 * `{s:regex(^a+$)}`) and complex segments (`{file}.{ext}`). Pure: parse, match, order by precedence.
 */

export type Constraint = (value: string) => boolean;

export interface LiteralPart {
  kind: 'literal';
  text: string;
}

export interface ParamPart {
  kind: 'param';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: { name: string; test: Constraint }[];
}

export type RoutePart = LiteralPart | ParamPart;

export interface RouteSegment {
  parts: RoutePart[];
  /** Set for segments that mix literals and parameters (or hold several parameters). */
  regex?: RegExp;
}

export interface RouteTemplate {
  template: string;
  segments: RouteSegment[];
  /** Per-segment precedence digits (1 literal … 5 catch-all); lower sorts first. */
  precedence: number[];
}

export class RouteTemplateError extends Error {
  constructor(template: string, reason: string) {
    super(`Invalid route template "${template}": ${reason}`);
    this.name = 'RouteTemplateError';
  }
}

export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^[~]?\/+/, '').replace(/\/+$/, '');
  if (trimmed.includes('?') && !/\{[^}]*\?\}/.test(trimmed)) throw new RouteTemplateError(template, 'a literal "?" is not allowed');
  const rawSegments = trimmed === '' ? [] : splitSegments(trimmed, template);
  const segments: RouteSegment[] = [];
  const names = new Set<string>();
  rawSegments.forEach((raw, index) => {
    if (raw === '') throw new RouteTemplateError(template, 'empty segment ("//")');
    const parts = parseSegment(raw, template);
    for (const part of parts) {
      if (part.kind !== 'param') continue;
      const key = part.name.toLowerCase();
      if (names.has(key)) throw new RouteTemplateError(template, `parameter "${part.name}" appears twice`);
      names.add(key);
      if (part.catchAll && (index !== rawSegments.length - 1 || parts.length > 1)) {
        throw new RouteTemplateError(template, 'a catch-all parameter must be the whole last segment');
      }
      if (part.optional && parts.length > 1 && part !== parts[parts.length - 1]) {
        throw new RouteTemplateError(template, 'an optional parameter in a complex segment must come last');
      }
    }
    const segment: RouteSegment = { parts };
    if (parts.length > 1) segment.regex = complexSegmentRegex(parts);
    segments.push(segment);
  });
  // Optional parameters may only be followed by optional parameters.
  let sawOptional = false;
  for (const segment of segments) {
    const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
    const optional = only?.kind === 'param' && (only.optional || only.catchAll || only.defaultValue !== undefined);
    if (sawOptional && !optional) throw new RouteTemplateError(template, 'an optional parameter must be at the end');
    sawOptional ||= optional;
  }
  return { template, segments, precedence: segments.map(segmentPrecedence) };
}

/** Parameters when `pathSegments` (already split and percent-decoded) match the template, else undefined. */
export function matchRoute(route: RouteTemplate, pathSegments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const { segments } = route;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (!segment) return undefined;
    const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
    if (only?.kind === 'param' && only.catchAll) {
      const rest = pathSegments.slice(i).join('/');
      if (rest !== '') {
        if (!passes(only, rest)) return undefined;
        params[only.name] = rest;
      } else if (only.defaultValue !== undefined) {
        params[only.name] = only.defaultValue;
      }
      return params;
    }
    const value = pathSegments[i];
    if (value === undefined || value === '') {
      if (only?.kind === 'param' && (only.optional || only.defaultValue !== undefined)) {
        if (only.defaultValue !== undefined) params[only.name] = only.defaultValue;
        continue;
      }
      return undefined;
    }
    if (!matchSegment(segment, value, params)) return undefined;
  }
  return pathSegments.length <= segments.length ? params : undefined;
}

/** Orders templates most specific first (ASP.NET inbound precedence), then by template text for stability. */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const pa = a.precedence[i] ?? 0;
    const pb = b.precedence[i] ?? 0;
    if (pa !== pb) return pa - pb;
  }
  return a.template.localeCompare(b.template);
}

/** Splits a request path (after the route prefix) into decoded segments; undefined when it is not valid percent-encoding. */
export function splitPath(pathname: string): string[] | undefined {
  const trimmed = pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return [];
  try {
    return trimmed.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function matchSegment(segment: RouteSegment, value: string, params: Record<string, string>): boolean {
  const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
  if (only?.kind === 'literal') return only.text.toLowerCase() === value.toLowerCase();
  if (only?.kind === 'param') {
    if (!passes(only, value)) return false;
    params[only.name] = value;
    return true;
  }
  const m = segment.regex?.exec(value);
  if (!m) return false;
  const captured: Record<string, string> = {};
  let group = 1;
  for (const part of segment.parts) {
    if (part.kind !== 'param') continue;
    const v = m[group++];
    if (v === undefined || v === '') {
      if (part.defaultValue !== undefined) captured[part.name] = part.defaultValue;
      continue;
    }
    if (!passes(part, v)) return false;
    captured[part.name] = v;
  }
  Object.assign(params, captured);
  return true;
}

function passes(part: ParamPart, value: string): boolean {
  return part.constraints.every((c) => c.test(value));
}

function complexSegmentRegex(parts: RoutePart[]): RegExp {
  const source = parts
    .map((p) => (p.kind === 'literal' ? escapeRegExp(p.text) : p.optional ? '(.*)' : '(.+)'))
    .join('');
  return new RegExp(`^${source}$`, 'i');
}

function segmentPrecedence(segment: RouteSegment): number {
  if (segment.parts.length > 1) return 2;
  const only = segment.parts[0];
  if (!only || only.kind === 'literal') return 1;
  if (only.catchAll) return 5;
  return only.constraints.length > 0 ? 3 : 4;
}

function splitSegments(path: string, template: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of path) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (depth < 0) throw new RouteTemplateError(template, 'unbalanced "}"');
    if (c === '/' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (depth !== 0) throw new RouteTemplateError(template, 'unbalanced "{"');
  out.push(current);
  return out;
}

function parseSegment(raw: string, template: string): RoutePart[] {
  const parts: RoutePart[] = [];
  let i = 0;
  while (i < raw.length) {
    const open = raw.indexOf('{', i);
    if (open < 0) {
      parts.push({ kind: 'literal', text: raw.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: 'literal', text: raw.slice(i, open) });
    const close = findParamEnd(raw, open, template);
    const param = parseParam(raw.slice(open + 1, close), template);
    const previous = parts[parts.length - 1];
    if (previous?.kind === 'param') throw new RouteTemplateError(template, 'two parameters must be separated by a literal');
    parts.push(param);
    i = close + 1;
  }
  return parts;
}

/** Index of the "}" closing the parameter that opens at `open` (parentheses of constraint arguments may hold braces). */
function findParamEnd(raw: string, open: number, template: string): number {
  let parens = 0;
  for (let i = open + 1; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c === '(') parens++;
    else if (c === ')') parens--;
    else if (c === '}' && parens === 0) return i;
  }
  throw new RouteTemplateError(template, 'unclosed parameter');
}

function parseParam(body: string, template: string): ParamPart {
  let text = body.trim();
  let catchAll = false;
  if (text.startsWith('**')) {
    catchAll = true;
    text = text.slice(2);
  } else if (text.startsWith('*')) {
    catchAll = true;
    text = text.slice(1);
  }
  let optional = false;
  let defaultValue: string | undefined;
  const pieces = splitConstraints(text);
  const head = pieces.shift() ?? '';
  let last = pieces.length > 0 ? (pieces.pop() ?? '') : undefined;
  const takeSuffix = (s: string): string => {
    const eq = s.indexOf('=');
    if (eq >= 0 && !s.includes('(')) {
      defaultValue = s.slice(eq + 1);
      s = s.slice(0, eq);
    } else if (eq >= 0 && s.lastIndexOf(')') < eq) {
      defaultValue = s.slice(eq + 1);
      s = s.slice(0, eq);
    }
    if (s.endsWith('?')) {
      optional = true;
      s = s.slice(0, -1);
    }
    return s;
  };
  let name = head;
  if (last === undefined) name = takeSuffix(head);
  else last = takeSuffix(last);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RouteTemplateError(template, `bad parameter name "${name}"`);
  if (catchAll && optional) throw new RouteTemplateError(template, 'a catch-all parameter cannot be marked optional');
  if (optional && defaultValue !== undefined) throw new RouteTemplateError(template, 'an optional parameter cannot have a default value');
  const constraintTexts = last === undefined ? pieces : [...pieces, last];
  const constraints = constraintTexts.map((c) => ({ name: c, test: buildConstraint(c, template) }));
  const part: ParamPart = { kind: 'param', name, optional, catchAll, constraints };
  if (defaultValue !== undefined) part.defaultValue = defaultValue;
  return part;
}

/** Splits "id:int:min(1)" on ":" outside parentheses. */
function splitConstraints(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ':' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current);
  return out;
}

const intPattern = /^-?\d+$/;
const numberPattern = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const guidPattern = /^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;

function buildConstraint(text: string, template: string): Constraint {
  const m = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(text);
  if (!m) throw new RouteTemplateError(template, `bad constraint "${text}"`);
  const name = (m[1] ?? '').toLowerCase();
  const arg = m[2];
  const nums = (): number[] => (arg ?? '').split(',').map((a) => Number(a.trim()));
  const needArgs = (count: number[]): number[] => {
    const values = nums();
    if (arg === undefined || !count.includes(values.length) || values.some((v) => !Number.isFinite(v))) {
      throw new RouteTemplateError(template, `constraint "${text}" needs ${count.join(' or ')} numeric argument(s)`);
    }
    return values;
  };
  switch (name) {
    case 'int':
      return (v) => intPattern.test(v) && Math.abs(Number(v)) <= 2 ** 31;
    case 'long':
      return (v) => intPattern.test(v) && v.replace('-', '').length <= 19;
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => guidPattern.test(v);
    case 'alpha':
      return (v) => /^[A-Za-z]+$/.test(v);
    case 'decimal':
    case 'double':
    case 'float':
      return (v) => numberPattern.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'required':
      return (v) => v.length > 0;
    case 'nonfile':
      return (v) => !v.includes('.');
    case 'min': {
      const [min = 0] = needArgs([1]);
      return (v) => intPattern.test(v) && Number(v) >= min;
    }
    case 'max': {
      const [max = 0] = needArgs([1]);
      return (v) => intPattern.test(v) && Number(v) <= max;
    }
    case 'range': {
      const [min = 0, max = 0] = needArgs([2]);
      return (v) => intPattern.test(v) && Number(v) >= min && Number(v) <= max;
    }
    case 'minlength': {
      const [min = 0] = needArgs([1]);
      return (v) => v.length >= min;
    }
    case 'maxlength': {
      const [max = 0] = needArgs([1]);
      return (v) => v.length <= max;
    }
    case 'length': {
      const values = needArgs([1, 2]);
      const min = values[0] ?? 0;
      const max = values.length === 2 ? (values[1] ?? 0) : min;
      return (v) => v.length >= min && v.length <= max;
    }
    case 'regex': {
      if (arg === undefined) throw new RouteTemplateError(template, 'regex constraint needs a pattern');
      let re: RegExp;
      try {
        re = new RegExp(arg, 'i');
      } catch (err) {
        throw new RouteTemplateError(template, `bad regex: ${(err as Error).message}`);
      }
      return (v) => re.test(v);
    }
    default:
      throw new RouteTemplateError(template, `unknown constraint "${name}"`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
