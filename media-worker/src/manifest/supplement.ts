// A supplement: what a returning worker recovered for a call sealed elsewhere (its spilled chunks, drained late).
// Written once next to the manifest, signed, linked to the manifest's bytes; the manifest itself is never rewritten.
import { z } from 'zod';
import { ChunkRecordSchema } from '../ingest/chunk-metadata.js';
import type { ChunkRecord } from '../ingest/hash-chain.js';
import { canonicalJson } from './canonical-json.js';
import type { ManifestSigner, ManifestVerifier } from './signer.js';

export const SUPPLEMENT_VERSION = 1;

export const SupplementBodySchema = z.object({
  v: z.literal(SUPPLEMENT_VERSION),
  kind: z.literal('supplement'),
  callId: z.string(),
  sessionId: z.string(),
  /** The worker that recovered the chunks (it acked them, then was lost). */
  workerId: z.string(),
  manifestBlob: z.string(),
  /** SHA-256 of the manifest blob's bytes as stored when the supplement was written. */
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  /** The manifest's declared gaps these chunks fall in. */
  fills: z.array(z.object({ streamId: z.string(), fromSeq: z.number().int(), toSeq: z.number().int(), reason: z.string() })),
  chunks: z.array(ChunkRecordSchema.extend({ name: z.string(), speakers: z.array(z.tuple([z.number(), z.array(z.number())])).nullable() })),
});
export type SupplementBody = z.infer<typeof SupplementBodySchema>;

export const SignedSupplementSchema = SupplementBodySchema.extend({
  signature: z.object({ alg: z.literal('Ed25519'), keyId: z.string(), value: z.string() }),
});
export type SignedSupplement = z.infer<typeof SignedSupplementSchema>;

export async function signSupplement(body: SupplementBody, signer: ManifestSigner): Promise<SignedSupplement> {
  const value = await signer.sign(Buffer.from(canonicalJson(body), 'utf8'));
  return { ...body, signature: { alg: signer.alg, keyId: signer.keyId, value } };
}

export async function verifySupplementSignature(s: SignedSupplement, verifier: ManifestVerifier): Promise<boolean> {
  const { signature, ...body } = s;
  return verifier.verify(Buffer.from(canonicalJson(body), 'utf8'), signature.value, signature.keyId);
}

type Gap = { streamId: string; fromSeq: number; toSeq: number; reason: string };

/** The declared gap a recovered chunk falls in (a session-level reason first: it says why the frames were lost). */
export function gapFor<G extends Gap>(gaps: readonly G[], r: Pick<ChunkRecord, 'streamId' | 'firstSeq' | 'lastSeq'>): G | undefined {
  const within = gaps.filter((g) => g.streamId === r.streamId && g.reason !== 'timestampJump' && g.fromSeq <= r.firstSeq && r.lastSeq <= g.toSeq);
  return within.find((g) => g.reason !== 'missingSeq') ?? within[0];
}
