/**
 * Summarises an incoming policy-recording call: who is recorded (the observed participant; `source` for CR calls),
 * the other side (botData.otherSideUser, MRIs parsed), chain id, direction. Pure.
 */
import { flattenIdentitySet, parseMri, type Call, type PartyIdentity } from '../../contracts/graph/index.js';
import type { IncomingCallSummary } from './signals.js';

function partyFromMri(mri: string | null | undefined, tenantId?: string | null): PartyIdentity {
  if (!mri) return {};
  const parsed = parseMri(mri);
  const out: PartyIdentity =
    parsed.kind === 'teamsUser' ? { userId: parsed.objectId } : parsed.kind === 'pstn' ? { phoneNumber: parsed.phoneNumber } : {};
  if (tenantId && tenantId !== '00000000-0000-0000-0000-000000000000') out.tenantId = tenantId.toLowerCase();
  return out;
}

export function summarizeIncomingCall(callId: string, tenantId: string, call: Call): IncomingCallSummary {
  const botData = call.applicationMetadata?.botData ?? null;
  const observed = call.incomingContext?.observedParticipantId ?? null;
  const source = call.source ?? null;
  let recorded: PartyIdentity = {};
  if (source && (!observed || !source.id || source.id === observed)) recorded = flattenIdentitySet(source.identity);
  if (!recorded.userId && !recorded.phoneNumber) {
    recorded = { ...partyFromMri(botData?.user?.policyHolderId, botData?.user?.policyHolderTenantId), ...recorded };
  }
  const other = botData?.otherSideUser
    ? { ...partyFromMri(botData.otherSideUser.id, botData.otherSideUser.tenantId), participationMethod: botData.otherSideUser.participationMethod ?? null }
    : null;
  return {
    callId,
    tenantId,
    callChainId: call.callChainId ?? null,
    direction: call.direction ?? null,
    recordedUser: { ...recorded, participantId: observed ?? source?.id ?? null, participationMethod: botData?.user?.participationMethod ?? null },
    otherSide: other,
    myParticipantId: call.myParticipantId ?? null,
    policyIdentifier: botData?.policyIdentifier ?? null,
    mediaHostedRegion: botData?.mediaHostedRegion ?? null,
    botData,
  };
}
