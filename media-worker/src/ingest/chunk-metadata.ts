// Chunk records travel with their blob as metadata so that a restarted worker (or a verifier) can rebuild the chain.
import { z } from 'zod';
import type { ChunkRecord } from './hash-chain.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
export const ChunkRecordSchema = z.object({
  v: z.number().int(),
  callId: z.string(),
  streamId: z.string(),
  index: z.number().int().nonnegative(),
  firstSeq: z.number().int().positive(),
  lastSeq: z.number().int().positive(),
  frames: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
  sha256: hex64,
  firstTimestamp: z.string().regex(/^\d+$/),
  lastTimestamp: z.string().regex(/^\d+$/),
  silentFrames: z.number().int().nonnegative(),
  gaps: z.array(z.object({ fromSeq: z.number().int(), toSeq: z.number().int(), reason: z.enum(['missingSeq', 'timestampJump', 'bridgeDisconnected', 'workerRestart', 'notGranted']) })),
  prevChainHash: hex64,
  chainHash: hex64,
}) satisfies z.ZodType<ChunkRecord>;
const SpeakersSchema = z.array(z.tuple([z.number().int(), z.array(z.number().int())]));

const RECORD_KEY = 'chunkrecord';
const SPEAKERS_KEY = 'speakers';
const MAX_SPEAKERS_CHARS = 4000;

export function chunkMetadata(record: ChunkRecord, speakers: Array<[number, number[]]>): Record<string, string> {
  const meta: Record<string, string> = { [RECORD_KEY]: Buffer.from(JSON.stringify(record), 'utf8').toString('base64url') };
  const s = JSON.stringify(speakers);
  meta[SPEAKERS_KEY] = s.length <= MAX_SPEAKERS_CHARS ? Buffer.from(s).toString('base64url') : 'truncated';
  return meta;
}

/** True when the chunk's speaker runs were too long for blob metadata (kept by the session for the manifest instead). */
export function speakersTruncated(meta: Record<string, string>): boolean {
  return meta[SPEAKERS_KEY] === 'truncated';
}

export function recordFromMetadata(meta: Record<string, string>): ChunkRecord | undefined {
  const raw = meta[RECORD_KEY];
  if (!raw) return undefined;
  try {
    const parsed = ChunkRecordSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function speakersFromMetadata(meta: Record<string, string>): Array<[number, number[]]> | 'truncated' | undefined {
  const raw = meta[SPEAKERS_KEY];
  if (!raw) return undefined;
  if (raw === 'truncated') return 'truncated';
  try {
    const parsed = SpeakersSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
