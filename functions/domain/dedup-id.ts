/**
 * Dedup id of a notification: SHA-256 over the call resource, the change type and the canonical JSON of the resource
 * data. A redelivered notification gets the same id; any change in content gets a different one.
 */
import { createHash } from 'node:crypto';
import type { CommsNotification } from '../../contracts/graph/index.js';

/** JSON with object keys sorted, so key order does not change the id. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function dedupIdOf(n: CommsNotification): string {
  const url = (n.resourceUrl ?? n.resource ?? '').toLowerCase().replace(/^\/?app\/calls\//, '/communications/calls/');
  const h = createHash('sha256');
  h.update(`${n.changeType}\n${url}\n${canonicalJson(n.resourceData ?? null)}`);
  return h.digest('base64url').slice(0, 32);
}
