// Control API of the media-worker (functions -> worker), header `x-worker-key`. See ARCHITECTURE.md "Seams".
import { z } from 'zod';

export const WORKER_KEY_HEADER = 'x-worker-key';

const id = z.string().min(1).max(200).regex(/^[A-Za-z0-9._:-]+$/, 'ids may hold letters, digits and . _ : -');

export const ReserveSessionRequestSchema = z.looseObject({
  callId: id,
  callChainId: id,
  tenantId: id,
  /** Storage region prefix, e.g. `emea`. */
  region: z.string().min(1).max(40).regex(/^[a-z0-9-]+$/, 'region is lower-case letters, digits and -'),
  recordedUserId: z.string().max(200).optional(),
  policyId: z.string().max(200).optional(),
});
export type ReserveSessionRequest = z.infer<typeof ReserveSessionRequestSchema>;

export const ReserveSessionResponseSchema = z.object({
  sessionId: z.string(),
  workerId: z.string(),
  mediaConfig: z.object({ blob: z.string() }),
});
export type ReserveSessionResponse = z.infer<typeof ReserveSessionResponseSchema>;

export const RecordingGrantRequestSchema = z.object({
  status: z.enum(['granted', 'revoked']),
  /**
   * revoked only: `true` (default) ends recording for good (the bridge is told `GOODBYE recordingStopped`); `false`
   * stops persisting until a later `granted` resumes it (the frames in between are a declared `recordingRevoked` gap).
   */
  final: z.boolean().optional(),
  /** clientContext of the updateRecordingStatus call, for the audit trail. */
  clientContext: z.string().max(256).optional(),
  at: z.iso.datetime().optional(),
});
export type RecordingGrantRequest = z.infer<typeof RecordingGrantRequestSchema>;

export const RosterParticipantSchema = z.object({
  participantId: z.string().min(1).max(200),
  displayName: z.string().max(400).optional(),
  userId: z.string().max(200).optional(),
  upn: z.string().max(400).optional(),
  phone: z.string().max(40).optional(),
  role: z.string().max(40).optional(),
  joinedAt: z.iso.datetime().optional(),
  leftAt: z.iso.datetime().optional(),
  /** Audio media source ids (MSI, decimal strings as Graph sends them). */
  sourceIds: z.array(z.string().regex(/^\d+$/)).max(16).default([]),
});
export type RosterParticipant = z.infer<typeof RosterParticipantSchema>;

export const RosterUpdateSchema = z.object({
  sequenceNumber: z.number().int().nonnegative().optional(),
  participants: z.array(RosterParticipantSchema).max(1000),
  /** media source id -> participant id; the worker also derives it from participants[].sourceIds. */
  speakerMap: z.record(z.string().regex(/^\d+$/), z.string()).default({}),
});
export type RosterUpdate = z.infer<typeof RosterUpdateSchema>;

export const SealRequestSchema = z.object({ reason: z.string().max(200).optional() }).default({});
export type SealRequest = z.infer<typeof SealRequestSchema>;

export const GapSchema = z.object({
  streamId: z.string(),
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  reason: z.enum(['missingSeq', 'timestampJump', 'bridgeDisconnected', 'workerRestart', 'notGranted', 'workerLost', 'recordingRevoked']),
  detectedAt: z.string(),
});
export type Gap = z.infer<typeof GapSchema>;

export const StreamSummarySchema = z.object({
  streamId: z.string(),
  kind: z.enum(['mixed', 'unmixed']),
  sourceId: z.number().int().nullable(),
  chunks: z.number().int(),
  frames: z.number().int(),
  bytes: z.number().int(),
  firstSeq: z.number().int().nullable(),
  lastSeq: z.number().int().nullable(),
  chainHead: z.string(),
});
export type StreamSummary = z.infer<typeof StreamSummarySchema>;

export const SessionStateSchema = z.enum(['reserved', 'granted', 'revoked', 'sealed', 'released']);
export type SessionState = z.infer<typeof SessionStateSchema>;

export const SessionInfoSchema = z.object({
  sessionId: z.string(),
  workerId: z.string(),
  callId: z.string(),
  tenantId: z.string(),
  state: SessionStateSchema,
  bridgeConnected: z.boolean(),
  streams: z.array(StreamSummarySchema),
  gaps: z.array(GapSchema),
  createdAt: z.string(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export const SealResponseSchema = z.object({
  sessionId: z.string(),
  callId: z.string(),
  state: z.literal('sealed'),
  manifestBlob: z.string().nullable(),
  streams: z.array(StreamSummarySchema),
  gaps: z.array(GapSchema),
  /** True when the worker never got a grant: nothing was persisted. */
  nothingRecorded: z.boolean(),
});
export type SealResponse = z.infer<typeof SealResponseSchema>;

export const LoadReportSchema = z.object({
  workerId: z.string(),
  calls: z.number().int(),
  streams: z.number().int(),
  bufferedBytes: z.number().int(),
  spilledChunks: z.number().int(),
  bridgeConnections: z.number().int(),
  /** Cumulative chunk writes since start: to Blob directly, to the spill journal, and drained from it. */
  chunkWrites: z.object({ stored: z.number().int(), spilled: z.number().int(), drained: z.number().int() }).optional(),
});
export type LoadReport = z.infer<typeof LoadReportSchema>;

export const ErrorResponseSchema = z.object({ error: z.string(), reason: z.string() });
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
