/** participant, participantInfo, mediaStream, recordingInfo, removedState. */
import { z } from 'zod';
import { identitySetSchema } from './identity.js';
import { lenientEnum, intOrNumericString } from './lenient.js';

export const participantInfoSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  id: z.string().nullish(),
  identity: identitySetSchema.nullish(),
  endpointType: z.string().nullish(),
  region: z.string().nullish(),
  countryCode: z.string().nullish(),
  languageId: z.string().nullish(),
  participantId: z.string().nullish(),
});
export type ParticipantInfo = z.infer<typeof participantInfoSchema>;

export const MEDIA_TYPES = ['audio', 'video', 'videoBasedScreenSharing', 'data', 'unknown'] as const;
export const MEDIA_DIRECTIONS = ['inactive', 'sendOnly', 'receiveOnly', 'sendReceive'] as const;

export const mediaStreamSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  mediaType: lenientEnum(MEDIA_TYPES).nullish(),
  /** Media source id (MSI) as a string; some payloads send a number. */
  sourceId: z.union([z.string(), z.number().int().transform((n) => String(n))]).nullish(),
  direction: lenientEnum(MEDIA_DIRECTIONS).nullish(),
  serverMuted: z.boolean().nullish(),
  label: z.string().nullish(),
});
export type MediaStream = z.infer<typeof mediaStreamSchema>;

export const RECORDING_STATUSES = ['unknown', 'notRecording', 'recording', 'failed'] as const;

export const recordingInfoSchema = z.looseObject({
  initiator: identitySetSchema.nullish(),
  recordingStatus: lenientEnum(RECORDING_STATUSES).nullish(),
});

export const removedStateSchema = z.looseObject({ reason: z.string().nullish() });

export const participantSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  id: z.string().min(1),
  info: participantInfoSchema.nullish(),
  mediaStreams: z.array(mediaStreamSchema).nullish(),
  isMuted: z.boolean().nullish(),
  isInLobby: z.boolean().nullish(),
  metadata: z.string().nullish(),
  recordingInfo: recordingInfoSchema.nullish(),
  removedState: removedStateSchema.nullish(),
  rosterSequenceNumber: intOrNumericString.nullish(),
});
export type Participant = z.infer<typeof participantSchema>;
export type ParticipantInput = z.input<typeof participantSchema>;

/** Delta roster (`isDeltaRosterEnabled`): `{sequenceNumber, participants}`. */
export const deltaParticipantsSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  sequenceNumber: intOrNumericString.nullish(),
  participants: z.array(participantSchema),
});
export type DeltaParticipants = z.infer<typeof deltaParticipantsSchema>;
