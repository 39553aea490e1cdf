// Checks the signed supplements next to a manifest (a returning worker's recovered chunks, session/file-recovered.ts):
// signature, link to the manifest's bytes, each chunk's bytes and record, that each falls in a declared gap and that
// the recovered chunks link into the manifest's chain. Names the file on every problem.
import { recordFromMetadata } from '../ingest/chunk-metadata.js';
import { chainHashOf, genesisHash, sha256Hex, type ChunkRecord } from '../ingest/hash-chain.js';
import type { SignedManifest } from '../manifest/manifest.js';
import type { ManifestVerifier } from '../manifest/signer.js';
import { gapFor, SignedSupplementSchema, verifySupplementSignature, type SignedSupplement } from '../manifest/supplement.js';
import type { ObjectStore } from '../storage/object-store.js';

export interface RecoveredChunk {
  record: ChunkRecord;
  name: string;
  data: Buffer;
  workerId: string;
  supplement: string;
}

export interface GapFill {
  workerIds: string[];
  frames: number;
  /** Every seq of the gap is in a verified supplement. */
  complete: boolean;
  supplements: string[];
}

export interface SupplementCheck {
  /** Supplements that verified (signature, manifest link, every chunk). */
  verified: string[];
  problems: string[];
  /** Chunk names any supplement lists (not reported again as outside the manifest). */
  claimed: Set<string>;
  /** Per stream, the verified recovered chunks in seq order. */
  chunks: Map<string, RecoveredChunk[]>;
  recoveredFrames: number;
  filledIn(gap: { streamId: string; fromSeq: number; toSeq: number }): GapFill | undefined;
}

async function readSupplement(name: string, store: ObjectStore): Promise<SignedSupplement | string> {
  const obj = await store.get(name);
  if (!obj) return 'not found';
  try {
    const parsed = SignedSupplementSchema.safeParse(JSON.parse(obj.data.toString('utf8')));
    return parsed.success ? parsed.data : `malformed: ${parsed.error.issues[0]?.message ?? ''}`;
  } catch {
    return 'not JSON';
  }
}

/** Problems of one supplement's own content (empty: it verifies); its good chunks go to `out`. */
async function checkOne(
  name: string, s: SignedSupplement, manifest: SignedManifest, manifestBlob: string, manifestData: Buffer,
  deps: { store: ObjectStore; verifier: ManifestVerifier }, out: RecoveredChunk[],
): Promise<string[]> {
  const problems: string[] = [];
  if (!(await verifySupplementSignature(s, deps.verifier))) problems.push('signature does not verify');
  if (s.callId !== manifest.callId) problems.push('belongs to another call');
  if (s.manifestBlob !== manifestBlob || s.manifestSha256 !== sha256Hex(manifestData)) problems.push('does not link to this manifest (name or SHA-256)');
  for (const c of s.chunks) {
    const { name: chunkName, speakers: _s, ...record } = c;
    const { chainHash, ...unchained } = record;
    const bad = (reason: string): void => {
      problems.push(`chunk ${chunkName}: ${reason}`);
    };
    if (!chunkName.startsWith(manifest.prefix)) bad('is outside the call prefix');
    if (record.callId !== manifest.callId) bad('belongs to another call');
    if (chainHashOf(unchained) !== chainHash) bad('chainHash does not match the chunk record');
    if (!gapFor(manifest.gaps, record)) bad(`seqs ${record.firstSeq}..${record.lastSeq} are not in a gap the manifest declares`);
    const stored = await deps.store.get(chunkName);
    if (!stored) {
      bad('chunk blob is missing');
      continue;
    }
    if (stored.data.length !== record.bytes) bad(`size ${stored.data.length} != ${record.bytes} in the supplement`);
    if (sha256Hex(stored.data) !== record.sha256) bad('SHA-256 of the stored bytes does not match the supplement');
    const storedRecord = recordFromMetadata(stored.metadata);
    if (storedRecord && storedRecord.chainHash !== chainHash) bad('chunk metadata names another chain hash');
    out.push({ record, name: chunkName, data: stored.data, workerId: s.workerId, supplement: name });
  }
  return problems;
}

/** Recovered chunks must continue the manifest's chain from the chunk before their gap, and close a declared break. */
function chainProblems(manifest: SignedManifest, streamId: string, chunks: RecoveredChunk[]): string[] {
  const problems: string[] = [];
  const stream = manifest.streams.find((s) => s.streamId === streamId);
  if (!stream) return chunks.map((c) => `${c.supplement}: chunk ${c.name}: stream ${streamId} is not in the manifest`);
  let prev: RecoveredChunk | undefined;
  for (const [i, c] of chunks.entries()) {
    if (prev && c.record.firstSeq <= prev.record.lastSeq) problems.push(`${c.supplement}: chunk ${c.name}: overlaps ${prev.name} (seqs ${c.record.firstSeq}..${prev.record.lastSeq} twice)`);
    const continues = prev !== undefined && prev.record.index + 1 === c.record.index;
    const before = stream.chunks.filter((m) => m.lastSeq < c.record.firstSeq).at(-1);
    const expected = continues && prev ? prev.record.chainHash : (before?.chainHash ?? genesisHash(manifest.callId, streamId));
    if (c.record.prevChainHash !== expected) problems.push(`${c.supplement}: chunk ${c.name}: does not link to the stored chain`);
    const next = chunks[i + 1];
    if (!next || next.record.index !== c.record.index + 1) {
      const brk = (manifest.chainBreaks ?? []).find((b) => b.streamId === streamId && b.toSeq === c.record.lastSeq);
      if (brk && brk.prevChainHash !== c.record.chainHash) problems.push(`${c.supplement}: chunk ${c.name}: does not close the declared chain break`);
    }
    prev = c;
  }
  return problems;
}

export async function verifySupplements(
  manifest: SignedManifest, manifestBlob: string, manifestData: Buffer, names: readonly string[],
  deps: { store: ObjectStore; verifier: ManifestVerifier },
): Promise<SupplementCheck> {
  const problems: string[] = [];
  const verified: string[] = [];
  const claimed = new Set<string>();
  const good = new Map<string, RecoveredChunk>();
  for (const name of names) {
    const s = await readSupplement(name, deps.store);
    if (typeof s === 'string') {
      problems.push(`supplement ${name}: ${s}`);
      continue;
    }
    for (const c of s.chunks) claimed.add(c.name);
    const chunks: RecoveredChunk[] = [];
    const own = await checkOne(name, s, manifest, manifestBlob, manifestData, deps, chunks);
    if (own.length > 0) {
      problems.push(...own.map((p) => `supplement ${name}: ${p}`));
      continue;
    }
    verified.push(name);
    for (const c of chunks) if (!good.has(c.name)) good.set(c.name, c);
  }
  const chunks = new Map<string, RecoveredChunk[]>();
  for (const c of good.values()) chunks.set(c.record.streamId, [...(chunks.get(c.record.streamId) ?? []), c]);
  for (const [streamId, list] of chunks) {
    list.sort((a, b) => a.record.firstSeq - b.record.firstSeq);
    problems.push(...chainProblems(manifest, streamId, list).map((p) => `supplement ${p}`));
  }
  const all = [...good.values()];
  return {
    verified,
    problems,
    claimed,
    chunks,
    recoveredFrames: all.reduce((n, c) => n + c.record.frames, 0),
    filledIn(gap) {
      const inGap = all.filter((c) => c.record.streamId === gap.streamId && gap.fromSeq <= c.record.firstSeq && c.record.lastSeq <= gap.toSeq);
      if (inGap.length === 0) return undefined;
      const frames = inGap.reduce((n, c) => n + c.record.frames, 0);
      return {
        workerIds: [...new Set(inGap.map((c) => c.workerId))].sort(),
        frames,
        complete: frames === gap.toSeq - gap.fromSeq + 1,
        supplements: [...new Set(inGap.map((c) => c.supplement))].sort(),
      };
    },
  };
}
