/** The `call` resource as Graph sends it in notifications and GET /communications/calls/{id}. All fields optional. */
import { z } from 'zod';
import { identitySetSchema } from './identity.js';
import { lenientEnum } from './lenient.js';
import { participantInfoSchema } from './participant.js';
import { resultInfoSchema } from './result-info.js';

export const CALL_STATES = [
  'incoming', 'establishing', 'ringing', 'established', 'hold', 'transferring', 'transferAccepted',
  'redirecting', 'terminating', 'terminated',
] as const;
export type CallState = (typeof CALL_STATES)[number];

export const CALL_DIRECTIONS = ['incoming', 'outgoing'] as const;

export const incomingContextSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  sourceParticipantId: z.string().nullish(),
  observedParticipantId: z.string().nullish(),
  onBehalfOf: identitySetSchema.nullish(),
  transferor: identitySetSchema.nullish(),
});

export const meetingInfoSchema = z.looseObject({ '@odata.type': z.string().optional() });

export const chatInfoSchema = z.looseObject({
  threadId: z.string().nullish(),
  messageId: z.string().nullish(),
  replyChainMessageId: z.string().nullish(),
});

export const callRouteSchema = z.looseObject({
  routingType: lenientEnum(['forwarded', 'lookup', 'selfFork'] as const).nullish(),
  original: identitySetSchema.nullish(),
  final: identitySetSchema.nullish(),
});

/** A botData party (`user`, `otherSideUser`); ids are MRIs (`8:orgid:…`, `4:+E164`). Read leniently. */
export const botDataPartySchema = z.looseObject({
  id: z.string().nullish(),
  participantId: z.string().nullish(),
  tenantId: z.string().nullish(),
  participationMethod: z.string().nullish(),
  clientLocation: z.string().nullish(),
  policyHolderId: z.string().nullish(),
  policyHolderTenantId: z.string().nullish(),
  onBehalfOf: z.looseObject({ id: z.string().nullish() }).nullish(),
});

/**
 * `applicationMetadata.botData`: undocumented in the resource schema; every field optional. A malformed botData never
 * makes the notification unparsable: it falls back to `undefined` (`.catch`).
 */
export const botDataSchema = z.looseObject({
  mediaHostedRegion: z.string().nullish(),
  user: botDataPartySchema.nullish(),
  otherSideUser: botDataPartySchema.nullish(),
  inviteReasons: z.array(z.string()).nullish(),
  policyIdentifier: z.string().nullish(),
  pairedRecorders: z.array(z.looseObject({ id: z.string().nullish(), participantId: z.string().nullish() })).nullish(),
  otherRecorders: z.array(z.looseObject({ id: z.string().nullish(), participantId: z.string().nullish() })).nullish(),
  callId: z.string().nullish(),
  isMultiParty: z.boolean().nullish(),
  applicationType: z.string().nullish(),
});
export type BotData = z.infer<typeof botDataSchema>;

export const applicationMetadataSchema = z.looseObject({
  botData: botDataSchema.optional().catch(undefined),
});

export const callSchema = z.looseObject({
  '@odata.type': z.string().optional(),
  id: z.string().nullish(),
  state: lenientEnum(CALL_STATES).nullish(),
  direction: lenientEnum(CALL_DIRECTIONS).nullish(),
  callChainId: z.string().nullish(),
  tenantId: z.string().nullish(),
  myParticipantId: z.string().nullish(),
  callbackUri: z.string().nullish(),
  subject: z.string().nullish(),
  source: participantInfoSchema.nullish(),
  targets: z.array(participantInfoSchema).nullish(),
  incomingContext: incomingContextSchema.nullish(),
  meetingInfo: meetingInfoSchema.nullish(),
  chatInfo: chatInfoSchema.nullish(),
  callRoutes: z.array(callRouteSchema).nullish(),
  requestedModalities: z.array(z.string()).nullish(),
  resultInfo: resultInfoSchema.nullish(),
  terminationReason: z.string().nullish(),
  applicationMetadata: applicationMetadataSchema.nullish().catch(undefined),
});
export type Call = z.infer<typeof callSchema>;
export type CallInput = z.input<typeof callSchema>;
