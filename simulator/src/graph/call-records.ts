// callRecords (reference §10): one record per ended conversation, id = callChainId, with sessions and segments.
import type { Conversation, SimParticipant } from '../teams/model.js';
import { identitySet } from '../notify/payloads.js';

export class CallRecordStore {
  private records = new Map<string, Record<string, unknown>>();

  add(c: Conversation): string {
    this.records.set(c.callChainId, buildCallRecord(c));
    return c.callChainId;
  }

  get(id: string): Record<string, unknown> | undefined {
    return this.records.get(id);
  }
}

function endpoint(p: SimParticipant): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.callRecords.participantEndpoint', identity: identitySet(p), userAgent: { '@odata.type': '#microsoft.graph.callRecords.clientUserAgent', platform: p.kind === 'pstn' ? 'unknown' : 'windows', productFamily: p.kind === 'pstn' ? 'unknown' : 'teams' } };
}

export function buildCallRecord(c: Conversation): Record<string, unknown> {
  const start = c.startedAt;
  const end = c.endedAt ?? new Date().toISOString();
  const ps = c.participants;
  const first = ps[0];
  const sessions = ps.slice(1).map((p, i) => {
    const segment = {
      id: `${c.callChainId.slice(0, 8)}-seg-${i}`,
      startDateTime: start,
      endDateTime: end,
      caller: first ? endpoint(first) : null,
      callee: endpoint(p),
      failureInfo: null,
      media: [],
    };
    return { id: `${c.callChainId.slice(0, 8)}-ses-${i}`, modalities: ['audio'], startDateTime: start, endDateTime: end, caller: segment.caller, callee: segment.callee, failureInfo: null, segments: [segment] };
  });
  return {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#communications/callRecords(sessions(segments()))/$entity',
    id: c.callChainId,
    version: 1,
    type: c.scenario.kind === 'p2p' ? 'peerToPeer' : 'groupCall',
    modalities: ['audio'],
    lastModifiedDateTime: end,
    startDateTime: start,
    endDateTime: end,
    joinWebUrl: c.scenario.kind === 'meeting' ? `https://teams.microsoft.com/l/meetup-join/${c.callChainId}` : null,
    organizer_v2: first ? { id: first.objectId ?? first.phone, identity: identitySet(first) } : null,
    participants_v2: ps.map((p) => ({ id: p.objectId ?? p.phone, identity: identitySet(p) })),
    sessions,
    'sessions@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#communications/callRecords/sessions',
  };
}
