// Request bodies as Graph accepts them (reference §3, §4, §10). Graph's own view, written from the reference.
import { z } from 'zod';

const ci = <T extends string>(values: readonly T[]) =>
  z.string().transform((v, ctx) => {
    const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!hit) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}` });
      return z.NEVER;
    }
    return hit;
  });

export const answerSchema = z.object({
  callbackUri: z.url({ protocol: /^https?$/, error: 'callbackUri is required and must be an absolute http(s) URL' }),
  acceptedModalities: z.array(ci(['audio', 'video', 'videoBasedScreenSharing'] as const)).min(1, 'acceptedModalities must not be empty'),
  mediaConfig: z.discriminatedUnion('@odata.type', [
    z.object({ '@odata.type': z.literal('#microsoft.graph.appHostedMediaConfig'), blob: z.string().min(1, 'mediaConfig.blob is required') }),
    z.object({ '@odata.type': z.literal('#microsoft.graph.serviceHostedMediaConfig'), preFetchMedia: z.array(z.unknown()).optional() }),
  ], { error: 'mediaConfig must be an appHostedMediaConfig or serviceHostedMediaConfig' }),
  callOptions: z
    .object({
      '@odata.type': z.literal('#microsoft.graph.incomingCallOptions').optional(),
      isContentSharingNotificationEnabled: z.boolean().optional(),
      isDeltaRosterEnabled: z.boolean().optional(),
      isInteractiveRosterEnabled: z.boolean().optional(),
      hideBotAfterEscalation: z.boolean().optional(),
    })
    .optional(),
  participantCapacity: z.number().int().min(0).nullable().optional(),
});

export const rejectSchema = z.object({
  reason: ci(['none', 'busy', 'forbidden'] as const).optional(),
  callbackUri: z.url().optional(),
});

export const updateRecordingStatusSchema = z.object({
  clientContext: z.string().min(1).max(256),
  status: ci(['notRecording', 'recording', 'failed'] as const),
});

export const createSubscriptionSchema = z.object({
  changeType: z.string().min(1),
  notificationUrl: z.url(),
  lifecycleNotificationUrl: z.url().optional(),
  resource: z.string().min(1),
  expirationDateTime: z.iso.datetime({ offset: true }),
  clientState: z.string().max(128).optional(),
});

export const patchSubscriptionSchema = z.object({ expirationDateTime: z.iso.datetime({ offset: true }) });
