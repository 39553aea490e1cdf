/** What we send to Graph: answer, reject, updateRecordingStatus bodies. Strict: we produce them. */
import { z } from 'zod';

export const APP_HOSTED_MEDIA_CONFIG = '#microsoft.graph.appHostedMediaConfig';

export const appHostedMediaConfigSchema = z.strictObject({
  '@odata.type': z.literal(APP_HOSTED_MEDIA_CONFIG),
  blob: z.string().min(1),
});

export const MODALITIES = ['audio', 'video', 'videoBasedScreenSharing'] as const;

export const incomingCallOptionsSchema = z.strictObject({
  '@odata.type': z.literal('#microsoft.graph.incomingCallOptions').optional(),
  isContentSharingNotificationEnabled: z.boolean().optional(),
  isDeltaRosterEnabled: z.boolean().optional(),
  isInteractiveRosterEnabled: z.boolean().optional(),
  hideBotAfterEscalation: z.boolean().optional(),
});

export const answerBodySchema = z.strictObject({
  callbackUri: z.url(),
  acceptedModalities: z.array(z.enum(MODALITIES)).min(1),
  mediaConfig: appHostedMediaConfigSchema,
  callOptions: incomingCallOptionsSchema.optional(),
  participantCapacity: z.number().int().min(0).optional(),
});
export type AnswerBody = z.infer<typeof answerBodySchema>;

export const REJECT_REASONS = ['none', 'busy', 'forbidden'] as const;
export const rejectBodySchema = z.strictObject({
  reason: z.enum(REJECT_REASONS),
  callbackUri: z.url().optional(),
});
export type RejectBody = z.infer<typeof rejectBodySchema>;

export const RECORDING_STATUS_VALUES = ['notRecording', 'recording', 'failed'] as const;
export type RecordingStatusValue = (typeof RECORDING_STATUS_VALUES)[number];

export const updateRecordingStatusBodySchema = z.strictObject({
  clientContext: z.string().min(1).max(256),
  status: z.enum(RECORDING_STATUS_VALUES),
});
export type UpdateRecordingStatusBody = z.infer<typeof updateRecordingStatusBodySchema>;
