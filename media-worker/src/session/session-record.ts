// The small, persisted part of a session (the registry file survives kill -9).
import { z } from 'zod';
import { RosterUpdateSchema, SealResponseSchema, SessionStateSchema } from '../../../contracts/worker-api/index.js';

export const SessionEventSchema = z.object({
  at: z.string(),
  type: z.enum(['bridgeConnected', 'bridgeDisconnected', 'adopted', 'granted', 'revoked', 'sealed', 'supplementFiled']),
  workerId: z.string(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});
export type SessionEvent = z.infer<typeof SessionEventSchema>;

export const SessionGapSchema = z.object({
  streamId: z.string(),
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  reason: z.enum(['workerLost', 'bridgeDisconnected', 'recordingRevoked']),
  detectedAt: z.string(),
  /** Media timestamp (100-ns units, decimal) of the last frame before the gap and the first after it, when known. */
  beforeTimestamp: z.string().nullable().optional(),
  afterTimestamp: z.string().nullable().optional(),
  /** recordingRevoked: when recording was revoked. */
  revokedAt: z.string().optional(),
});
export type SessionGap = z.infer<typeof SessionGapSchema>;

export const SessionRecordSchema = z.object({
  sessionId: z.string(),
  callId: z.string(),
  callChainId: z.string(),
  tenantId: z.string(),
  region: z.string(),
  token: z.string(),
  createdAt: z.string(),
  state: SessionStateSchema,
  grantedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  clientContext: z.string().nullable(),
  roster: RosterUpdateSchema.nullable(),
  streams: z.record(z.string(), z.object({ kind: z.enum(['mixed', 'unmixed']), sourceId: z.number().int().nullable() })),
  sealed: SealResponseSchema.nullable(),
  extra: z.record(z.string(), z.unknown()),
  /** Set when this worker adopted the session from another worker of the pool (ticket in HELLO). */
  adopted: z.object({ at: z.string(), issuer: z.string() }).nullable().optional(),
  /** What happened to the bridge link (connects, disconnects, adoption, grant): goes into the manifest. */
  events: z.array(SessionEventSchema).optional(),
  /** Losses known at session level (acked frames lost with another worker, frames the bridge shed). */
  gaps: z.array(SessionGapSchema).optional(),
  /** Set while recording is revoked resumably (a later grant resumes); a final revocation sets revokedAt. */
  suspendedAt: z.string().nullable().optional(),
  /** Per stream, the highest seq settled: durable, or dropped under a revocation (WELCOME never asks for less). */
  settled: z.record(z.string(), z.number().int()).optional(),
});
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

/** A session record as it starts, before any grant, roster, stream or seal (reserve and adoption both begin here). */
export function freshSessionRecord(
  ids: Pick<SessionRecord, 'sessionId' | 'callId' | 'callChainId' | 'tenantId' | 'region' | 'token' | 'createdAt'>,
  more: Partial<Pick<SessionRecord, 'extra' | 'adopted' | 'events' | 'gaps'>> = {},
): SessionRecord {
  return {
    ...ids, state: 'reserved', grantedAt: null, revokedAt: null, clientContext: null, roster: null, streams: {}, sealed: null,
    extra: {}, ...more,
  };
}

export const RegistryFileSchema = z.object({ v: z.literal(1), sessions: z.array(SessionRecordSchema) });
