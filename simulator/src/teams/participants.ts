// Builds the simulated participants of a scenario: Graph participant ids, media source ids, identities.
import { randomUUID } from 'node:crypto';
import type { Scenario } from './scenario.js';
import type { SimParticipant } from './model.js';

const GUEST_TENANT = 'bbbbbbbb-5555-6666-7777-888888888888';

export function buildParticipants(s: Scenario, tenantId: string): SimParticipant[] {
  return s.participants.map((spec, i) => ({
    key: spec.key,
    participantId: randomUUID(),
    // MSIs are small unsigned ints in Teams; distinct per participant.
    sourceId: String(1000 + i * 7 + Math.floor(Math.random() * 5)),
    kind: spec.kind,
    displayName: spec.displayName ?? spec.key,
    ...(spec.kind === 'pstn' ? { phone: spec.phone ?? `+4930${String(1000000 + i * 1111).slice(0, 7)}` } : { objectId: spec.userId ?? randomUUID() }),
    tenantId: spec.kind === 'guest' ? GUEST_TENANT : tenantId,
    recorded: spec.recorded,
    ...(spec.metadata ? { metadata: spec.metadata } : {}),
    inCall: false,
    absent: spec.absent,
    onHold: false,
    joinAtMs: spec.joinAtMs,
    ...(spec.leaveAtMs !== undefined ? { leaveAtMs: spec.leaveAtMs } : {}),
  }));
}
