// Media events the worker posts to `POST {FUNCTIONS_BASE_URL}/media-events` (header `x-worker-key`).
import { z } from 'zod';
import { GapSchema, StreamSummarySchema } from './sessions.js';

const base = {
  callId: z.string().min(1),
  sessionId: z.string().min(1),
  workerId: z.string().min(1),
  at: z.iso.datetime(),
  /** Unique per event; lets the receiver de-duplicate retried posts. */
  eventId: z.string().min(1),
};

export const MediaEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('mediaFlowing'), streamId: z.string() }),
  z.object({ ...base, type: z.literal('heartbeat'), streams: z.number().int(), framesReceived: z.number().int(), bufferedBytes: z.number().int() }),
  z.object({ ...base, type: z.literal('bridgeDisconnected'), reason: z.string() }),
  z.object({ ...base, type: z.literal('bridgeReconnected') }),
  z.object({ ...base, type: z.literal('streamGap'), gap: GapSchema }),
  /** A worker took over a session another worker of the pool reserved (the bridge moved to it with the ticket). */
  z.object({
    ...base,
    type: z.literal('sessionAdopted'),
    /** The worker that reserved the session (from the ticket). */
    issuer: z.string(),
    /** Per stream, the highest seq found durable in storage when the session was adopted. */
    durable: z.array(z.object({ streamId: z.string(), seq: z.number().int().nonnegative() })),
  }),
  z.object({ ...base, type: z.literal('sealed'), manifestBlob: z.string().nullable(), streams: z.array(StreamSummarySchema), nothingRecorded: z.boolean() }),
]);
export type MediaEvent = z.infer<typeof MediaEventSchema>;
export type MediaEventType = MediaEvent['type'];
