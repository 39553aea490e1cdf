// Deterministic blob names: {region}/{tenantId}/{yyyy}/{mm}/{dd}/{callId}/{streamId}/{index:08}.pcm
export interface CallLocation {
  region: string;
  tenantId: string;
  callId: string;
  /** The session's creation time fixes the date folder (stable across restarts). */
  createdAt: string;
}

const SAFE = /^[A-Za-z0-9._:-]+$/;

function safe(part: string, what: string): string {
  if (!SAFE.test(part) || part === '.' || part === '..') throw new Error(`${what} has characters not allowed in a blob name`);
  return part;
}

export function callPrefix(loc: CallLocation): string {
  const d = new Date(loc.createdAt);
  if (Number.isNaN(d.getTime())) throw new Error('createdAt is not a date');
  const yyyy = d.getUTCFullYear().toString().padStart(4, '0');
  const mm = (d.getUTCMonth() + 1).toString().padStart(2, '0');
  const dd = d.getUTCDate().toString().padStart(2, '0');
  return `${safe(loc.region, 'region')}/${safe(loc.tenantId, 'tenantId')}/${yyyy}/${mm}/${dd}/${safe(loc.callId, 'callId')}/`;
}

export function chunkBlobName(loc: CallLocation, streamId: string, index: number): string {
  return `${callPrefix(loc)}${safe(streamId, 'streamId')}/${index.toString().padStart(8, '0')}.pcm`;
}

export function manifestBlobName(loc: CallLocation): string {
  return `${callPrefix(loc)}manifest.json`;
}

/** Parses `…/{streamId}/{index}.pcm` relative to a call prefix. */
export function parseChunkName(prefix: string, name: string): { streamId: string; index: number } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^([A-Za-z0-9._:-]+)\/(\d{8})\.pcm$/.exec(name.slice(prefix.length));
  if (!m || !m[1] || !m[2]) return undefined;
  return { streamId: m[1], index: Number(m[2]) };
}

/** `{callPrefix}supplement-{workerId}-{n}.json`: what a returning worker recovered for a call sealed elsewhere. */
export function supplementBlobName(loc: CallLocation, workerId: string, n: number): string {
  return `${callPrefix(loc)}supplement-${safe(workerId, 'workerId')}-${n}.json`;
}

/** Parses a supplement name relative to a call prefix. */
export function parseSupplementName(prefix: string, name: string): { workerId: string; n: number } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^supplement-([A-Za-z0-9._:-]+)-(\d+)\.json$/.exec(name.slice(prefix.length));
  if (!m || !m[1] || !m[2]) return undefined;
  return { workerId: m[1], n: Number(m[2]) };
}

/**
 * A recovered chunk whose canonical name another worker already used with other bytes:
 * `{callPrefix}recovered/{workerId}/{streamId}/{index:08}.pcm`.
 */
export function recoveredChunkBlobName(prefix: string, workerId: string, streamId: string, index: number): string {
  return `${prefix}recovered/${safe(workerId, 'workerId')}/${safe(streamId, 'streamId')}/${index.toString().padStart(8, '0')}.pcm`;
}

/** True for `recovered/{workerId}/{streamId}/{index}.pcm` under a call prefix. */
export function isRecoveredChunkName(prefix: string, name: string): boolean {
  return name.startsWith(prefix) && /^recovered\/[A-Za-z0-9._:-]+\/[A-Za-z0-9._:-]+\/\d{8}\.pcm$/.test(name.slice(prefix.length));
}
