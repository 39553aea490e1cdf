/**
 * Which media-worker holds a call's session now (pure). The call starts pinned to the worker that reserved it; a
 * `sessionAdopted` media event from another worker of the pool (the bridge moved there with the session ticket)
 * re-pins it, unless an adoption that happened later already did (events can arrive out of order: the worker's own
 * time of adoption orders them, and an older one never pins back). Heartbeats of the pinned worker keep it alive;
 * their absence past the timeout marks it lost (shown in the custom status until a heartbeat or an adoption).
 */
export interface WorkerPin {
  workerId: string;
  /** When the current pin took effect (worker's event time for an adoption; the orchestration's start otherwise). */
  since: string;
  /** Workers that held the session before, oldest first. */
  previous: string[];
  adoptions: number;
  /** Set when the pinned worker's heartbeats stopped for longer than the timeout. */
  lostSince: string | null;
}

export function initialPin(workerId: string, at: string): WorkerPin {
  return { workerId, since: at, previous: [], adoptions: 0, lostSince: null };
}

export type AdoptionOutcome = { repinned: true; pin: WorkerPin; from: string } | { repinned: false; pin: WorkerPin; why: 'sameWorker' | 'stale' };

export function applyAdoption(pin: WorkerPin, event: { workerId: string; at: string }): AdoptionOutcome {
  if (event.at <= pin.since) return { repinned: false, pin, why: 'stale' };
  if (event.workerId === pin.workerId) return { repinned: false, pin: { ...pin, since: event.at, lostSince: null }, why: 'sameWorker' };
  return {
    repinned: true,
    from: pin.workerId,
    pin: { workerId: event.workerId, since: event.at, previous: [...pin.previous.filter((w) => w !== event.workerId), pin.workerId], adoptions: pin.adoptions + 1, lostSince: null },
  };
}

/** When the pinned worker counts as lost if no heartbeat comes (null: not watched yet, or already marked lost). */
export function heartbeatDeadline(pin: WorkerPin, lastHeartbeatAt: string | null, timeoutMs: number): string | null {
  if (pin.lostSince !== null || lastHeartbeatAt === null) return null;
  const base = lastHeartbeatAt > pin.since ? lastHeartbeatAt : pin.since;
  return new Date(Date.parse(base) + timeoutMs).toISOString();
}

export const DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS = 45_000;
