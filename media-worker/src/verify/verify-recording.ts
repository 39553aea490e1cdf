// Re-reads a call's chunks and checks each chunk hash, the hash chain, the manifest signature and completeness.
// Returns a structured verdict naming the first bad chunk.
import { createHash } from 'node:crypto';
import { recordFromMetadata } from '../ingest/chunk-metadata.js';
import { chainHashOf, genesisHash, sha256Hex } from '../ingest/hash-chain.js';
import { SignedManifestSchema, verifyManifestSignature, type SignedManifest } from '../manifest/manifest.js';
import type { ManifestVerifier } from '../manifest/signer.js';
import type { RecordingsStore } from '../metadata/recordings-store.js';
import type { ObjectStore } from '../storage/object-store.js';
import { isRecoveredChunkName, parseChunkName, parseSupplementName } from '../storage/naming.js';
import { locateManifest } from './locate-manifest.js';
import { verifySupplements, type RecoveredChunk } from './verify-supplements.js';

export interface BadChunk {
  streamId: string;
  index: number;
  name: string;
  reason: string;
}

export interface StreamVerdict {
  streamId: string;
  chunks: number;
  frames: number;
  bytes: number;
  /** SHA-256 of the stream's PCM (all chunks in order) as re-read. */
  sha256: string;
  ok: boolean;
  /** Frames in the stream from verified supplements (a returning worker's recovered chunks, in `frames` too). */
  recoveredFrames: number;
}

export interface DeclaredGap {
  streamId: string;
  fromSeq: number;
  toSeq: number;
  reason: string;
  /** Set when verified supplements hold frames of this gap: who recovered them and how many. */
  filled?: { workerIds: string[]; frames: number; complete: boolean; supplements: string[] };
}

export interface Verdict {
  /** Signature, chunks, chain and seq accounting all check out (with or without declared gaps). */
  ok: boolean;
  /**
   * `complete`: every seq of every stream is in the manifest; `completeWithRecovery`: the manifest declares gaps and
   * verified supplements fill every one of them; `declaredGaps`: seqs are missing, each covered by a recorded gap.
   */
  completeness: 'complete' | 'completeWithRecovery' | 'declaredGaps';
  /** Signed supplements next to the manifest that verified (a returning worker's recovered chunks). */
  supplements: string[];
  /** The worker that sealed (signed the manifest). */
  sealedBy: string | null;
  /**
   * Workers that stored media of this recording as far as the stored files tell: the sealer, the worker it adopted
   * the session from, any other worker in the manifest's events, and the writers of verified supplements.
   */
  recordedBy: string[];
  /** Frames missing within the streams' seq ranges (chunk-level `missingSeq` gaps, all declared when ok). */
  missingFrames: number;
  /** The manifest's gaps that lose frames, with their reasons (session-level reasons explain chunk-level `missingSeq`). */
  declaredGaps: DeclaredGap[];
  callId: string;
  manifestBlob: string | null;
  signature: 'valid' | 'invalid' | 'missing';
  streams: StreamVerdict[];
  firstBadChunk: BadChunk | null;
  problems: string[];
  checkedAt: string;
}

export interface VerifyDeps {
  store: ObjectStore;
  verifier: ManifestVerifier;
  recordings?: RecordingsStore;
}

export type VerifyTarget = { callId: string } | { manifestBlob: string };

export async function verifyRecording(target: VerifyTarget, deps: VerifyDeps): Promise<Verdict> {
  const checkedAt = new Date().toISOString();
  const callIdHint = 'callId' in target ? target.callId : '';
  const name = 'manifestBlob' in target ? target.manifestBlob : await locateManifest(target.callId, deps);
  const fail = (problem: string, manifestBlob: string | null): Verdict => ({
    ok: false, completeness: 'complete', supplements: [], sealedBy: null, recordedBy: [], missingFrames: 0, declaredGaps: [], callId: callIdHint, manifestBlob, signature: 'missing', streams: [], firstBadChunk: null, problems: [problem], checkedAt,
  });
  if (!name) return fail(`no manifest found for call ${callIdHint}`, null);
  const obj = await deps.store.get(name);
  if (!obj) return fail(`manifest ${name} not found`, name);
  let manifest: SignedManifest;
  try {
    const parsed = SignedManifestSchema.safeParse(JSON.parse(obj.data.toString('utf8')));
    if (!parsed.success) return fail(`manifest ${name} is malformed: ${parsed.error.issues[0]?.message ?? ''}`, name);
    manifest = parsed.data;
  } catch {
    return fail(`manifest ${name} is not JSON`, name);
  }
  const problems: string[] = [];
  let firstBadChunk: BadChunk | null = null;
  const bad = (b: BadChunk): void => {
    problems.push(`${b.streamId} chunk ${b.index} (${b.name}): ${b.reason}`);
    firstBadChunk ??= b;
  };
  const signatureOk = await verifyManifestSignature(manifest, deps.verifier);
  if (!signatureOk) problems.push('manifest signature does not verify');
  if ('callId' in target && manifest.callId !== target.callId) problems.push('manifest belongs to another call');

  const streams: StreamVerdict[] = [];
  let breakFrames = 0;
  const listed = new Set<string>();
  const supplementNames: string[] = [];
  for await (const item of deps.store.list(manifest.prefix)) {
    if (parseChunkName(manifest.prefix, item.name) || isRecoveredChunkName(manifest.prefix, item.name)) listed.add(item.name);
    else if (parseSupplementName(manifest.prefix, item.name)) supplementNames.push(item.name);
  }
  // Supplements first: their chunks are merged into each stream in seq order below.
  const sup = await verifySupplements(manifest, name, obj.data, supplementNames.sort(), deps);
  problems.push(...sup.problems);
  for (const n of sup.claimed) listed.delete(n);
  const recoveredOf = (streamId: string): RecoveredChunk[] => [...(sup.chunks.get(streamId) ?? [])];

  for (const s of manifest.streams) {
    const hash = createHash('sha256');
    let prev = genesisHash(manifest.callId, s.streamId);
    let streamOk = true;
    let frames = 0;
    let bytes = 0;
    let expectSeq: number | undefined;
    let brokenFrames = 0;
    const recovered = recoveredOf(s.streamId);
    let recoveredFrames = 0;
    const hashRecoveredBefore = (seq: number): void => {
      while (recovered.length > 0 && (recovered[0]?.record.firstSeq ?? Infinity) < seq) {
        const r = recovered.shift() as RecoveredChunk;
        hash.update(r.data);
        frames += r.record.frames;
        bytes += r.data.length;
        recoveredFrames += r.record.frames;
      }
    };
    if (s.genesis !== prev) {
      problems.push(`${s.streamId}: genesis hash does not match the call and stream`);
      streamOk = false;
    }
    for (const c of s.chunks) {
      const flag = (reason: string): void => {
        streamOk = false;
        bad({ streamId: s.streamId, index: c.index, name: c.name, reason });
      };
      listed.delete(c.name);
      const { name: _n, speakers: _s, ...record } = c;
      const { chainHash, ...unchained } = record;
      // A declared break (chunks lost between stored ones, signed in the manifest) accepts exactly its own link.
      const declared = (manifest.chainBreaks ?? []).find((b) => b.streamId === s.streamId && b.beforeIndex === c.index);
      const breakOk = declared !== undefined && declared.prevChainHash === c.prevChainHash && declared.fromSeq === (expectSeq ?? 1) && declared.toSeq === c.firstSeq - 1;
      if (breakOk) brokenFrames += declared.toSeq - declared.fromSeq + 1;
      if (c.prevChainHash !== prev && !breakOk) flag('prevChainHash does not link to the previous chunk');
      if (chainHashOf(unchained) !== chainHash) flag('chainHash does not match the chunk record');
      prev = chainHash;
      if (expectSeq !== undefined && c.firstSeq !== expectSeq && !breakOk) {
        const covered = c.gaps.some((g) => g.reason === 'missingSeq' && g.fromSeq === expectSeq && g.toSeq === c.firstSeq - 1);
        if (!covered) flag(`seqs ${expectSeq}..${c.firstSeq - 1} are missing and no gap is recorded`);
      }
      const innerMissing = c.gaps.filter((g) => g.reason === 'missingSeq' && g.fromSeq > c.firstSeq).reduce((n, g) => n + (g.toSeq - g.fromSeq + 1), 0);
      if (c.frames + innerMissing !== c.lastSeq - c.firstSeq + 1) flag('frame count does not match the seq range and recorded gaps');
      expectSeq = c.lastSeq + 1;
      hashRecoveredBefore(c.firstSeq);
      const stored = await deps.store.get(c.name);
      if (!stored) {
        flag('chunk blob is missing');
        continue;
      }
      if (stored.data.length !== c.bytes) flag(`size ${stored.data.length} != ${c.bytes} in the manifest`);
      if (sha256Hex(stored.data) !== c.sha256) flag('SHA-256 of the stored bytes does not match the manifest');
      const storedRecord = recordFromMetadata(stored.metadata);
      if (storedRecord && storedRecord.chainHash !== c.chainHash) flag('chunk metadata names another chain hash');
      hash.update(stored.data);
      frames += c.frames;
      bytes += stored.data.length;
    }
    hashRecoveredBefore(Infinity);
    if (prev !== s.chainHead) {
      problems.push(`${s.streamId}: chain head does not match the manifest`);
      streamOk = false;
    }
    streams.push({ streamId: s.streamId, chunks: s.chunks.length, frames, bytes, sha256: hash.digest('hex'), ok: streamOk, recoveredFrames });
    breakFrames += brokenFrames;
  }
  for (const extra of listed) problems.push(`stored chunk ${extra} is not in the manifest`);
  const missingInManifest = breakFrames + manifest.streams.reduce(
    (n, s) => n + s.chunks.reduce((m, c) => m + c.gaps.filter((g) => g.reason === 'missingSeq').reduce((k, g) => k + (g.toSeq - g.fromSeq + 1), 0), 0),
    0,
  );
  const declaredGaps: DeclaredGap[] = manifest.gaps
    .filter((g) => g.reason !== 'timestampJump')
    .map((g) => {
      const filled = sup.filledIn(g);
      return { streamId: g.streamId, fromSeq: g.fromSeq, toSeq: g.toSeq, reason: g.reason, ...(filled ? { filled } : {}) };
    });
  const missingFrames = Math.max(0, missingInManifest - sup.recoveredFrames);
  const allFilled = declaredGaps.length > 0 && declaredGaps.every((g) => g.filled?.complete === true);
  return {
    ok: problems.length === 0,
    completeness: missingInManifest === 0 && declaredGaps.length === 0 ? 'complete' : allFilled && missingFrames === 0 ? 'completeWithRecovery' : 'declaredGaps',
    supplements: sup.verified,
    sealedBy: manifest.workerId,
    recordedBy: [...new Set([
      manifest.workerId,
      ...(manifest.events ?? []).flatMap((e) => [e.workerId, ...(e.type === 'adopted' && typeof e.detail?.issuer === 'string' ? [e.detail.issuer] : [])]),
      ...[...sup.chunks.values()].flat().map((c) => c.workerId),
    ])],
    missingFrames,
    declaredGaps,
    callId: manifest.callId,
    manifestBlob: name,
    signature: signatureOk ? 'valid' : 'invalid',
    streams,
    firstBadChunk,
    problems,
    checkedAt,
  };
}
