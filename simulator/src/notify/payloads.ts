// Graph commsNotifications payloads (reference §1, §2, §5, §7). Pure builders; field names follow the reference.
import type { Conversation, Leg, LegState, ResultInfo, SimParticipant } from '../teams/model.js';
import type { Faults } from './faults.js';

const ZERO_TENANT = '00000000-0000-0000-0000-000000000000';

export interface Casing {
  mode: NonNullable<Faults['enumCasing']>;
  counter: number;
}

export function cased(value: string, c: Casing): string {
  const pascal = value.charAt(0).toUpperCase() + value.slice(1);
  if (c.mode === 'pascal') return pascal;
  if (c.mode === 'mixed') return c.counter++ % 2 === 0 ? value : pascal;
  return value;
}

export function identitySet(p: SimParticipant): Record<string, unknown> {
  if (p.kind === 'pstn') {
    return { '@odata.type': '#microsoft.graph.identitySet', phone: { '@odata.type': '#microsoft.graph.identity', id: p.phone, displayName: p.displayName } };
  }
  const user: Record<string, unknown> = { '@odata.type': '#microsoft.graph.identity', id: p.objectId, displayName: p.displayName, tenantId: p.tenantId, identityProvider: 'AAD' };
  return p.kind === 'guest'
    ? { '@odata.type': '#microsoft.graph.identitySet', guest: { ...user, identityProvider: 'None' } }
    : { '@odata.type': '#microsoft.graph.identitySet', user };
}

/** Teams MRI as botData carries it: 8:orgid:<objectId> for users, 4:+E164 for PSTN. */
export function mri(p: SimParticipant): string {
  return p.kind === 'pstn' ? `4:${p.phone}` : `8:orgid:${p.objectId}`;
}

function participantInfo(p: SimParticipant, endpointType = 'default'): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.participantInfo', id: p.participantId, identity: identitySet(p), endpointType, region: 'emea', countryCode: 'DE', languageId: 'en-US' };
}

export function resultInfo(r: ResultInfo, as: Faults['resultCodesAs']): Record<string, unknown> {
  const code = as === 'string' ? String(r.code) : r.code;
  const subcode = as === 'string' ? String(r.subcode) : r.subcode;
  return { '@odata.type': '#microsoft.graph.resultInfo', code, subcode, message: r.message };
}

export function envelope(items: Record<string, unknown>[]): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.commsNotifications', value: items.map((i) => ({ '@odata.type': '#microsoft.graph.commsNotification', ...i })) };
}

export interface IncomingCallInput {
  conversation: Conversation;
  leg: Leg;
  recorded: SimParticipant;
  /** The party on the other side of a 1:1 call (absent in meetings). */
  otherSide?: SimParticipant;
  transferor?: SimParticipant;
  onBehalfOf?: SimParticipant;
  pairedLeg?: Leg;
  casing: Casing;
}

export function incomingCall(i: IncomingCallInput): Record<string, unknown> {
  const { conversation: c, leg, recorded, otherSide, casing } = i;
  const s = c.scenario;
  const outbound = s.direction === 'outbound' && leg.transferorKey === undefined;
  const meeting = s.kind === 'meeting';
  const extra = leg.invitation === 0;
  const botData: Record<string, unknown> = {
    mediaHostedRegion: 'EUWE',
    user: {
      participationMethod: meeting ? 'callee' : outbound ? 'caller' : 'callee',
      clientLocation: 'DE',
      policyHolderId: mri(recorded),
      policyHolderTenantId: c.tenantId,
    },
    inviteReasons: ['ComplianceRecording'],
    policyIdentifier: `TeamsComplianceRecordingPolicy=Tenant:${s.policy.name}`,
    pairedRecorders: i.pairedLeg ? [{ id: `28:${i.pairedLeg.appInstanceId}`, participantId: i.pairedLeg.myParticipantId }] : [],
    otherRecorders: [],
    callId: c.callChainId,
    isMultiParty: s.kind !== 'p2p',
  };
  if (otherSide && !meeting) {
    botData.otherSideUser = {
      id: mri(otherSide),
      participantId: otherSide.participantId,
      tenantId: otherSide.kind === 'pstn' ? ZERO_TENANT : otherSide.tenantId,
      participationMethod: outbound ? (otherSide.kind === 'pstn' ? 'DialOut' : 'callee') : 'caller',
      clientLocation: 'DE',
      ...(i.onBehalfOf ? { onBehalfOf: { id: mri(i.onBehalfOf) } } : {}),
    };
  }
  const incomingContext: Record<string, unknown> = {
    '@odata.type': '#microsoft.graph.incomingContext',
    sourceParticipantId: recorded.participantId,
    observedParticipantId: recorded.participantId,
  };
  if (i.onBehalfOf) incomingContext.onBehalfOf = identitySet(i.onBehalfOf);
  if (i.transferor) incomingContext.transferor = identitySet(i.transferor);
  const call: Record<string, unknown> = {
    '@odata.type': '#microsoft.graph.call',
    id: leg.id,
    state: cased('incoming', casing),
    direction: cased('incoming', casing),
    callChainId: c.callChainId,
    tenantId: c.tenantId,
    myParticipantId: leg.myParticipantId,
    source: participantInfo(recorded, extra ? 'skypeForBusinessVoipPhone' : 'default'),
    targets: [{
      '@odata.type': '#microsoft.graph.invitationParticipantInfo',
      identity: { '@odata.type': '#microsoft.graph.identitySet', applicationInstance: { '@odata.type': '#microsoft.graph.identity', id: leg.appInstanceId, identityProvider: 'AAD' } },
      endpointType: 'default',
    }],
    incomingContext,
    meetingInfo: { '@odata.type': '#microsoft.graph.tokenMeetingInfo', token: Buffer.from(`meeting:${c.callChainId}`).toString('base64') },
    applicationMetadata: { botData },
  };
  if (s.kind !== 'p2p') {
    call.chatInfo = { '@odata.type': '#microsoft.graph.chatInfo', threadId: `19:meeting_${c.callChainId.replace(/-/g, '')}@thread.v2`, messageId: '0', replyChainMessageId: null };
  }
  return envelope([{ changeType: cased('created', casing), resource: `/app/calls/${leg.id}`, resourceUrl: `/communications/calls/${leg.id}`, resourceData: call }]);
}

export function callResource(c: Conversation, leg: Leg, state: LegState, casing: Casing, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.call',
    id: leg.id,
    state: cased(state, casing),
    direction: cased('incoming', casing),
    callChainId: c.callChainId,
    tenantId: c.tenantId,
    myParticipantId: leg.myParticipantId,
    callbackUri: leg.callbackUri,
    ...extra,
  };
}

export function stateUpdate(c: Conversation, leg: Leg, state: LegState, casing: Casing, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return envelope([{ changeType: cased('updated', casing), resource: `/app/calls/${leg.id}`, resourceUrl: `/communications/calls/${leg.id}`, resourceData: callResource(c, leg, state, casing, extra) }]);
}

export function terminated(c: Conversation, leg: Leg, r: ResultInfo, casing: Casing, codesAs: Faults['resultCodesAs']): Record<string, unknown> {
  return envelope([{
    changeType: cased('deleted', casing),
    resource: `/app/calls/${leg.id}`,
    resourceUrl: `/communications/calls/${leg.id}`,
    resourceData: callResource(c, leg, 'terminated', casing, { resultInfo: resultInfo(r, codesAs), terminationReason: r.message }),
  }]);
}

export function participantResource(p: SimParticipant, recordingStatus?: string): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.participant',
    id: p.participantId,
    info: participantInfo(p),
    mediaStreams: [{ '@odata.type': '#microsoft.graph.mediaStream', mediaType: 'audio', sourceId: p.sourceId, direction: p.onHold ? 'inactive' : 'sendReceive', serverMuted: false, label: 'main-audio' }],
    isMuted: p.onHold,
    isInLobby: false,
    metadata: p.metadata ?? null,
    ...(recordingStatus ? { recordingInfo: { '@odata.type': '#microsoft.graph.recordingInfo', recordingStatus, initiator: null } } : {}),
  };
}

/** Roster snapshot: resourceData is an array of participants. */
export function roster(leg: Leg, participants: SimParticipant[], casing: Casing, recordingStatus?: string): Record<string, unknown> {
  return envelope([{
    changeType: cased('updated', casing),
    resource: `/app/calls/${leg.id}/participants`,
    resourceUrl: `/communications/calls/${leg.id}/participants`,
    resourceData: participants.filter((p) => p.inCall).map((p) => participantResource(p, p.recorded ? recordingStatus : undefined)),
  }]);
}

export function operationNotification(leg: Leg, op: { id: string; clientContext: string; status: string }, changeType: 'updated' | 'deleted', casing: Casing): Record<string, unknown> {
  return envelope([{
    changeType: cased(changeType, casing),
    resource: `/app/calls/${leg.id}/operations/${op.id}`,
    resourceUrl: `/communications/calls/${leg.id}/operations/${op.id}`,
    resourceData: { '@odata.type': '#microsoft.graph.updateRecordingStatusOperation', id: op.id, clientContext: op.clientContext, status: cased(op.status, casing), resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', code: 200, subcode: 0, message: 'Success' } },
  }]);
}
