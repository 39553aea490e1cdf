// The small, persisted part of a session (the registry file survives kill -9).
import { z } from 'zod';
import { RosterUpdateSchema, SealResponseSchema, SessionStateSchema } from '../../../contracts/worker-api/index.js';

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
});
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

export const RegistryFileSchema = z.object({ v: z.literal(1), sessions: z.array(SessionRecordSchema) });
