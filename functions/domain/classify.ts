/**
 * Classifies one commsNotification: incoming call, call state change, roster, operation outcome or unknown.
 * Pure: parses the resource data with the Graph contracts and throws `NotificationShapeError` with a reason.
 */
import {
  callSchema, commsOperationSchema, deltaParticipantsSchema, parseCallResource, participantSchema,
  type Call, type CommsNotification, type CommsOperation, type Participant, type ResultInfo,
} from '../../contracts/graph/index.js';
import { dedupIdOf } from './dedup-id.js';

export class NotificationShapeError extends Error {
  override readonly name = 'NotificationShapeError';
}

interface Base {
  callId: string;
  dedupId: string;
  changeType: CommsNotification['changeType'];
}

export type ClassifiedNotification =
  | (Base & { kind: 'incomingCall'; call: Call })
  | (Base & { kind: 'callState'; state: string; deleted: boolean; resultInfo: ResultInfo | null; call: Call | null })
  | (Base & { kind: 'roster'; participants: Participant[]; sequenceNumber: number | null; delta: boolean })
  | (Base & { kind: 'operation'; operationId: string; operation: CommsOperation })
  | (Base & { kind: 'unknown'; subPath: string });

export type NotificationKind = ClassifiedNotification['kind'];

function describe(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

export function classifyNotification(n: CommsNotification): ClassifiedNotification {
  const url = n.resourceUrl ?? n.resource ?? '';
  const ref = parseCallResource(url);
  if (!ref) throw new NotificationShapeError(`resourceUrl "${url.slice(0, 120)}" is not a call resource`);
  const base: Base = { callId: ref.callId, changeType: n.changeType, dedupId: dedupIdOf(n) };
  const data = n.resourceData;
  const sub = ref.subPath.toLowerCase();

  if (sub === '') {
    if (data === undefined || data === null) {
      if (n.changeType === 'deleted') {
        return { ...base, kind: 'callState', state: 'terminated', deleted: true, resultInfo: null, call: null };
      }
      throw new NotificationShapeError('call notification without resourceData');
    }
    if (Array.isArray(data)) throw new NotificationShapeError('call notification with an array as resourceData');
    const parsed = callSchema.safeParse(data);
    if (!parsed.success) throw new NotificationShapeError(`invalid call resource: ${describe(parsed.error.issues)}`);
    const call = parsed.data;
    if (call.id && call.id !== ref.callId) {
      throw new NotificationShapeError(`resourceData.id "${call.id}" does not match the call id in resourceUrl`);
    }
    if (n.changeType === 'created' && call.state === 'incoming') return { ...base, kind: 'incomingCall', call };
    const deleted = n.changeType === 'deleted';
    const state = deleted ? 'terminated' : call.state ?? 'unknown';
    return { ...base, kind: 'callState', state, deleted, resultInfo: call.resultInfo ?? null, call };
  }

  if (sub === '/participants' || sub.startsWith('/participants/')) {
    if (Array.isArray(data)) {
      const parsed = participantSchema.array().safeParse(data);
      if (!parsed.success) throw new NotificationShapeError(`invalid roster: ${describe(parsed.error.issues)}`);
      return { ...base, kind: 'roster', participants: parsed.data, sequenceNumber: null, delta: false };
    }
    const delta = deltaParticipantsSchema.safeParse(data);
    if (delta.success) {
      return { ...base, kind: 'roster', participants: delta.data.participants, sequenceNumber: delta.data.sequenceNumber ?? null, delta: true };
    }
    const single = participantSchema.safeParse(data);
    if (!single.success) throw new NotificationShapeError(`invalid participant: ${describe(single.error.issues)}`);
    return { ...base, kind: 'roster', participants: [single.data], sequenceNumber: null, delta: true };
  }

  const op = /^\/operations\/([^/]+)$/i.exec(ref.subPath);
  if (op?.[1]) {
    const parsed = commsOperationSchema.safeParse(Array.isArray(data) ? data[0] : data ?? {});
    if (!parsed.success) throw new NotificationShapeError(`invalid operation: ${describe(parsed.error.issues)}`);
    return { ...base, kind: 'operation', operationId: op[1], operation: parsed.data };
  }

  return { ...base, kind: 'unknown', subPath: ref.subPath };
}
