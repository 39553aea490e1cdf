/**
 * Roster → participant timeline + speaker map (media source id → participant id). Pure.
 * Snapshot rosters (no delta) replace the set: a participant missing from a snapshot has left. Delta rosters carry a
 * sequence number; stale ones are dropped. The speaker map keeps the last known mapping after a participant left, so
 * frames that arrive late are still attributed.
 */
import { flattenIdentitySet, type Participant, type PartyIdentity } from '../../contracts/graph/index.js';

export interface TimelineParticipant {
  participantId: string;
  identity: PartyIdentity;
  endpointType: string | null;
  /** ISO times of each presence interval. */
  intervals: { joinedAt: string; leftAt: string | null }[];
  sourceIds: string[];
  removedReason: string | null;
  isBot: boolean;
}

export interface RosterState {
  participants: Record<string, TimelineParticipant>;
  speakerMap: Record<string, string>;
  lastSequence: number | null;
}

export function emptyRoster(): RosterState {
  return { participants: {}, speakerMap: {}, lastSequence: null };
}

export interface RosterUpdate {
  participants: Participant[];
  delta: boolean;
  sequenceNumber: number | null;
  /** ISO time the notification was received (the orchestrator passes its deterministic clock). */
  at: string;
  /** The bot's own participant id (excluded from the speaker map). */
  botParticipantId?: string | null;
}

export type RosterOutcome = { applied: true; state: RosterState; changed: boolean } | { applied: false; state: RosterState; reason: 'stale' };

function isPresent(p: TimelineParticipant): boolean {
  const last = p.intervals[p.intervals.length - 1];
  return last !== undefined && last.leftAt === null;
}

function audioSourceIds(p: Participant): string[] {
  return (p.mediaStreams ?? [])
    .filter((s) => (s.mediaType ?? 'audio') === 'audio' && typeof s.sourceId === 'string' && s.sourceId !== '')
    .map((s) => s.sourceId as string);
}

export function applyRoster(state: RosterState, update: RosterUpdate): RosterOutcome {
  if (update.delta && update.sequenceNumber !== null && state.lastSequence !== null && update.sequenceNumber <= state.lastSequence) {
    return { applied: false, state, reason: 'stale' };
  }
  const participants: Record<string, TimelineParticipant> = {};
  for (const [id, p] of Object.entries(state.participants)) participants[id] = { ...p, intervals: p.intervals.map((i) => ({ ...i })) };
  const speakerMap = { ...state.speakerMap };
  let changed = false;
  const present = new Set<string>();

  for (const p of update.participants) {
    const removed = p.removedState?.reason ? p.removedState.reason : null;
    const existing = participants[p.id];
    const entry: TimelineParticipant = existing ?? {
      participantId: p.id,
      identity: flattenIdentitySet(p.info?.identity),
      endpointType: p.info?.endpointType ?? null,
      intervals: [],
      sourceIds: [],
      removedReason: null,
      isBot: p.id === update.botParticipantId,
    };
    if (!existing) changed = true;
    if (removed) {
      if (isPresent(entry)) {
        const last = entry.intervals[entry.intervals.length - 1];
        if (last) last.leftAt = update.at;
        changed = true;
      }
      entry.removedReason = removed;
    } else {
      present.add(p.id);
      if (!isPresent(entry)) {
        entry.intervals.push({ joinedAt: update.at, leftAt: null });
        changed = true;
      }
      const ident = flattenIdentitySet(p.info?.identity);
      if (Object.keys(ident).length > 0) entry.identity = { ...entry.identity, ...ident };
      if (!p.isInLobby && !entry.isBot) {
        for (const sid of audioSourceIds(p)) {
          if (!entry.sourceIds.includes(sid)) entry.sourceIds.push(sid);
          if (speakerMap[sid] !== p.id) {
            speakerMap[sid] = p.id;
            changed = true;
          }
        }
      }
    }
    participants[p.id] = entry;
  }

  if (!update.delta) {
    for (const entry of Object.values(participants)) {
      if (!present.has(entry.participantId) && isPresent(entry)) {
        const last = entry.intervals[entry.intervals.length - 1];
        if (last) last.leftAt = update.at;
        changed = true;
      }
    }
  }
  const lastSequence = update.sequenceNumber ?? state.lastSequence;
  return { applied: true, changed, state: { participants, speakerMap, lastSequence } };
}

/** Closes every open interval (call ended). */
export function closeRoster(state: RosterState, at: string): RosterState {
  const participants: Record<string, TimelineParticipant> = {};
  for (const [id, p] of Object.entries(state.participants)) {
    participants[id] = { ...p, intervals: p.intervals.map((i) => ({ joinedAt: i.joinedAt, leftAt: i.leftAt ?? at })) };
  }
  return { ...state, participants };
}
