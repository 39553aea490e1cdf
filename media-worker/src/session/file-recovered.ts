// A returning worker files what it recovers: for a call whose manifest another worker already wrote, its spilled
// chunks still go to Blob (acknowledged media is never dropped), then one signed, write-once supplement next to the
// manifest names them, the declared gaps they fill and the manifest's hash. The manifest is never rewritten.
import { recordFromMetadata, speakersFromMetadata } from '../ingest/chunk-metadata.js';
import { sha256Hex } from '../ingest/hash-chain.js';
import type { Logger } from '../log.js';
import { SignedManifestSchema } from '../manifest/manifest.js';
import type { ManifestSigner } from '../manifest/signer.js';
import { gapFor, signSupplement, SignedSupplementSchema, SUPPLEMENT_VERSION, type SupplementBody } from '../manifest/supplement.js';
import type { DurableWriter } from '../storage/durable-writer.js';
import {
  callPrefix, isRecoveredChunkName, manifestBlobName, parseChunkName, parseSupplementName, recoveredChunkBlobName, supplementBlobName, type CallLocation,
} from '../storage/naming.js';
import { ConflictError } from '../storage/object-store.js';

export interface FileRecoveredDeps {
  workerId: string;
  writer: DurableWriter;
  signer: ManifestSigner;
  log: Logger;
}

export type FileOutcome =
  | { kind: 'noManifest' }
  | { kind: 'sealedHere' }
  /** The session is closed on this worker (sealed or released): nothing to file. */
  | { kind: 'closed' }
  /** Spilled chunks could not all reach Blob yet: try again later. */
  | { kind: 'pending'; remaining: number }
  | { kind: 'filed'; manifestBlob: string; supplementBlob: string | null; chunks: number; frames: number };

/** Moves the session's spilled chunks to Blob; a canonical name another worker took with other bytes gets a recovered/ name. */
async function storeSpilled(prefix: string, deps: FileRecoveredDeps): Promise<number> {
  const store = deps.writer.primary;
  await deps.writer.drain(prefix);
  let pending = 0;
  for (const name of deps.writer.spilledNames(prefix)) {
    const e = await deps.writer.readSpilled(name);
    const parsed = parseChunkName(prefix, name);
    if (!e || !parsed) continue;
    const stored = await store.get(name).catch(() => undefined);
    if (!stored) {
      pending++; // Blob did not take it yet: the drain retries
      continue;
    }
    if (sha256Hex(stored.data) === sha256Hex(e.data)) {
      await deps.writer.discardSpilled(name); // the same bytes are stored under its own name
      continue;
    }
    const alt = recoveredChunkBlobName(prefix, deps.workerId, parsed.streamId, parsed.index);
    try {
      await store.putIfAbsent(alt, e.data, { metadata: e.metadata, contentType: e.contentType });
      deps.log.warn('recovered chunk name taken by another worker: stored under recovered/', { object: name, storedAs: alt });
      // Stored under recovered/ (a conditional create: the same bytes if it was there already); the spill entry is
      // done with, or the drain would retry the conflicting canonical write every second for ever.
      await deps.writer.discardSpilled(name);
    } catch (err) {
      if (err instanceof ConflictError) throw err; // our own recovered name with other bytes: never overwritten
      pending++;
    }
  }
  return pending;
}

export async function fileRecovered(loc: CallLocation, sessionId: string, deps: FileRecoveredDeps): Promise<FileOutcome> {
  const store = deps.writer.primary;
  const prefix = callPrefix(loc);
  const manifestBlob = manifestBlobName(loc);
  const manifestObj = await store.get(manifestBlob);
  if (!manifestObj) return { kind: 'noManifest' };
  const parsed = SignedManifestSchema.safeParse(JSON.parse(manifestObj.data.toString('utf8')));
  if (!parsed.success) throw new Error(`manifest ${manifestBlob} cannot be read`);
  const manifest = parsed.data;
  if (manifest.workerId === deps.workerId) return { kind: 'sealedHere' };

  const remaining = await storeSpilled(prefix, deps);
  if (remaining > 0) return { kind: 'pending', remaining };

  // What is stored for the call outside the manifest and earlier supplements, inside a declared gap.
  const listed = new Set(manifest.streams.flatMap((s) => s.chunks.map((c) => c.name)));
  let mine = 0;
  const objects: Array<{ name: string; metadata: Record<string, string> }> = [];
  for await (const item of store.list(prefix)) objects.push(item);
  for (const item of objects) {
    const sup = parseSupplementName(prefix, item.name);
    if (!sup) continue;
    if (sup.workerId === deps.workerId) mine = Math.max(mine, sup.n);
    const got = await store.get(item.name);
    const s = got ? SignedSupplementSchema.safeParse(JSON.parse(got.data.toString('utf8'))) : undefined;
    if (s?.success) for (const c of s.data.chunks) listed.add(c.name);
  }
  const mineRecovered = `${prefix}recovered/${deps.workerId}/`;
  const chunks: SupplementBody['chunks'] = [];
  const fills = new Map<string, SupplementBody['fills'][number]>();
  for (const item of objects) {
    if (listed.has(item.name)) continue;
    const canonical = parseChunkName(prefix, item.name);
    if (!canonical && !(isRecoveredChunkName(prefix, item.name) && item.name.startsWith(mineRecovered))) continue;
    const record = recordFromMetadata(item.metadata);
    if (!record || record.callId !== loc.callId) continue;
    if (canonical && (canonical.streamId !== record.streamId || canonical.index !== record.index)) continue;
    const gap = gapFor(manifest.gaps, record);
    if (!gap) {
      deps.log.warn('stored chunk outside the manifest and outside any declared gap: not filed', { object: item.name });
      continue;
    }
    const got = await store.get(item.name);
    if (!got || sha256Hex(got.data) !== record.sha256) {
      deps.log.warn('recovered chunk does not match its record: not filed', { object: item.name });
      continue;
    }
    const speakers = speakersFromMetadata(got.metadata);
    chunks.push({ ...record, name: item.name, speakers: Array.isArray(speakers) ? speakers : null });
    fills.set(`${gap.streamId}|${gap.fromSeq}|${gap.reason}`, { streamId: gap.streamId, fromSeq: gap.fromSeq, toSeq: gap.toSeq, reason: gap.reason });
  }
  if (chunks.length === 0) return { kind: 'filed', manifestBlob, supplementBlob: null, chunks: 0, frames: 0 };
  chunks.sort((a, b) => a.streamId.localeCompare(b.streamId) || a.index - b.index);
  const body: SupplementBody = {
    v: SUPPLEMENT_VERSION,
    kind: 'supplement',
    callId: loc.callId,
    sessionId,
    workerId: deps.workerId,
    manifestBlob,
    manifestSha256: sha256Hex(manifestObj.data),
    createdAt: new Date().toISOString(),
    fills: [...fills.values()],
    chunks,
  };
  const data = Buffer.from(JSON.stringify(await signSupplement(body, deps.signer), null, 1), 'utf8');
  for (let n = mine + 1; n <= mine + 10; n++) {
    const name = supplementBlobName(loc, deps.workerId, n);
    try {
      await store.putIfAbsent(name, data, { contentType: 'application/json', tags: { callid: loc.callId, kind: 'supplement' } });
      const frames = chunks.reduce((k, c) => k + c.frames, 0);
      deps.log.info('supplement filed', { supplementBlob: name, manifestBlob, chunks: chunks.length, frames });
      return { kind: 'filed', manifestBlob, supplementBlob: name, chunks: chunks.length, frames };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // a concurrent filing took n: the next one
    }
  }
  throw new Error(`no free supplement name for ${loc.callId}`);
}
