// The per-call manifest: streams, participants and speaker map, chunk list with hashes, chain heads, gaps, times.
// Built from durable chunk records (pure), signed over its canonical JSON, written last, never overwritten.
import { z } from 'zod';
import type { RosterUpdate } from '../../../contracts/worker-api/index.js';
import { ChunkRecordSchema } from '../ingest/chunk-metadata.js';
import { genesisHash, type ChunkRecord } from '../ingest/hash-chain.js';
import { canonicalJson } from './canonical-json.js';
import type { ManifestSigner, ManifestVerifier } from './signer.js';

export const MANIFEST_VERSION = 1;

const GapSchema = z.object({
  streamId: z.string(),
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  reason: z.string(),
  /** Session-level gaps (workerLost, bridgeDisconnected, recordingRevoked) carry when they were found and the media
   * timestamp of the last frame before them; chunk-level gaps (missingSeq, timestampJump) are in the chunk records. */
  detectedAt: z.string().optional(),
  beforeTimestamp: z.string().nullable().optional(),
  afterTimestamp: z.string().nullable().optional(),
  revokedAt: z.string().optional(),
});

const ChainBreakSchema = z.object({
  streamId: z.string(),
  afterIndex: z.number().int().nullable(),
  beforeIndex: z.number().int(),
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  prevChainHash: z.string(),
});

/** What happened to the session's bridge link and grant, in order (absent in manifests written before it existed). */
const ManifestEventSchema = z.object({
  at: z.string(),
  type: z.string(),
  workerId: z.string(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export const ManifestStreamSchema = z.object({
  streamId: z.string(),
  kind: z.enum(['mixed', 'unmixed']),
  sourceId: z.number().int().nullable(),
  genesis: z.string(),
  chainHead: z.string(),
  frames: z.number().int(),
  bytes: z.number().int(),
  chunks: z.array(ChunkRecordSchema.extend({ name: z.string(), speakers: z.array(z.tuple([z.number(), z.array(z.number())])).nullable() })),
});
export type ManifestStream = z.infer<typeof ManifestStreamSchema>;

export const ManifestBodySchema = z.object({
  v: z.literal(MANIFEST_VERSION),
  callId: z.string(),
  callChainId: z.string(),
  tenantId: z.string(),
  region: z.string(),
  sessionId: z.string(),
  workerId: z.string(),
  container: z.string(),
  prefix: z.string(),
  chunkDurationMs: z.number().int(),
  format: z.literal('pcm16k'),
  createdAt: z.string(),
  grantedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  sealedAt: z.string(),
  participants: z.array(z.record(z.string(), z.unknown())),
  speakerMap: z.record(z.string(), z.string()),
  streams: z.array(ManifestStreamSchema),
  gaps: z.array(GapSchema),
  events: z.array(ManifestEventSchema).optional(),
  /** Declared breaks of a stream's chain: chunks lost between stored ones (session/recovery.ts ChainBreak). */
  chainBreaks: z.array(ChainBreakSchema).optional(),
});
export type ManifestBody = z.infer<typeof ManifestBodySchema>;

export const SignedManifestSchema = ManifestBodySchema.extend({
  signature: z.object({ alg: z.literal('Ed25519'), keyId: z.string(), value: z.string() }),
});
export type SignedManifest = z.infer<typeof SignedManifestSchema>;

export interface StreamForManifest {
  streamId: string;
  kind: 'mixed' | 'unmixed';
  sourceId: number | null;
  records: ChunkRecord[];
  chunkName: (index: number) => string;
  speakers: (index: number) => Array<[number, number[]]> | null;
}

export interface ManifestInput {
  callId: string;
  callChainId: string;
  tenantId: string;
  region: string;
  sessionId: string;
  workerId: string;
  container: string;
  prefix: string;
  chunkDurationMs: number;
  createdAt: string;
  grantedAt: string | null;
  revokedAt: string | null;
  sealedAt: string;
  roster: RosterUpdate | null;
  streams: StreamForManifest[];
  sessionGaps: Array<z.infer<typeof GapSchema>>;
  events?: Array<z.infer<typeof ManifestEventSchema>>;
  chainBreaks?: Array<z.infer<typeof ChainBreakSchema>>;
}

/** Speaker map from the roster: explicit map first, then participants' audio source ids. */
export function speakerMapOf(roster: RosterUpdate | null): Record<string, string> {
  const map: Record<string, string> = {};
  if (!roster) return map;
  for (const p of roster.participants) for (const s of p.sourceIds) map[s] = p.participantId;
  Object.assign(map, roster.speakerMap);
  return map;
}

export function buildManifest(input: ManifestInput): ManifestBody {
  const streams: ManifestStream[] = input.streams
    .map((s) => {
      const records = [...s.records].sort((a, b) => a.index - b.index);
      const genesis = genesisHash(input.callId, s.streamId);
      return {
        streamId: s.streamId,
        kind: s.kind,
        sourceId: s.sourceId,
        genesis,
        chainHead: records.at(-1)?.chainHash ?? genesis,
        frames: records.reduce((n, r) => n + r.frames, 0),
        bytes: records.reduce((n, r) => n + r.bytes, 0),
        chunks: records.map((r) => ({ ...r, name: s.chunkName(r.index), speakers: s.speakers(r.index) })),
      };
    })
    .sort((a, b) => a.streamId.localeCompare(b.streamId));
  const gaps = [
    ...input.sessionGaps,
    ...streams.flatMap((s) => s.chunks.flatMap((c) => c.gaps.map((g) => ({ streamId: s.streamId, ...g })))),
  ];
  return {
    v: MANIFEST_VERSION,
    callId: input.callId,
    callChainId: input.callChainId,
    tenantId: input.tenantId,
    region: input.region,
    sessionId: input.sessionId,
    workerId: input.workerId,
    container: input.container,
    prefix: input.prefix,
    chunkDurationMs: input.chunkDurationMs,
    format: 'pcm16k',
    createdAt: input.createdAt,
    grantedAt: input.grantedAt,
    revokedAt: input.revokedAt,
    sealedAt: input.sealedAt,
    participants: (input.roster?.participants ?? []).map((p) => ({ ...p })),
    speakerMap: speakerMapOf(input.roster),
    streams,
    gaps,
    ...(input.events ? { events: input.events } : {}),
    ...(input.chainBreaks && input.chainBreaks.length > 0 ? { chainBreaks: input.chainBreaks } : {}),
  };
}

export async function signManifest(body: ManifestBody, signer: ManifestSigner): Promise<SignedManifest> {
  const value = await signer.sign(Buffer.from(canonicalJson(body), 'utf8'));
  return { ...body, signature: { alg: signer.alg, keyId: signer.keyId, value } };
}

export async function verifyManifestSignature(manifest: SignedManifest, verifier: ManifestVerifier): Promise<boolean> {
  const { signature, ...body } = manifest;
  return verifier.verify(Buffer.from(canonicalJson(body), 'utf8'), signature.value, signature.keyId);
}
