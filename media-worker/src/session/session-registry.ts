// The worker's sessions, by id and by call id; persisted to a small local file on every state change.
import { randomBytes, randomUUID } from 'node:crypto';
import type { LoadReport, ReserveSessionRequest } from '../../../contracts/worker-api/index.js';
import { RegistryFile } from './registry-file.js';
import { Session, type SessionDeps } from './session.js';
import type { SessionRecord } from './session-record.js';

export class SessionRegistry {
  private readonly byId = new Map<string, Session>();
  private readonly byCall = new Map<string, Session>();
  private readonly file: RegistryFile;
  private readonly deps: Omit<SessionDeps, 'persist'>;

  constructor(registryDir: string, deps: Omit<SessionDeps, 'persist'>) {
    this.file = new RegistryFile(registryDir);
    this.deps = deps;
  }

  async load(): Promise<number> {
    for (const record of await this.file.load()) this.add(this.session(record, false));
    return this.byId.size;
  }

  private session(record: SessionRecord, fresh: boolean): Session {
    return new Session(record, { ...this.deps, persist: () => this.file.save(record) }, fresh);
  }

  private add(session: Session): void {
    this.byId.set(session.id, session);
    this.byCall.set(session.record.callId, session);
  }

  /** Writes one session's record (or all of them). */
  async persist(sessionId?: string): Promise<void> {
    const sessions = sessionId ? [this.byId.get(sessionId)].filter((s) => s !== undefined) : [...this.byId.values()];
    await Promise.all(sessions.map((s) => this.file.save(s.record)));
  }

  /** Idempotent per callId: a second reserve returns the existing session. */
  async reserve(req: ReserveSessionRequest): Promise<{ session: Session; created: boolean }> {
    const existing = this.byCall.get(req.callId);
    if (existing && existing.record.state !== 'released') return { session: existing, created: false };
    const { callId, callChainId, tenantId, region, ...extra } = req;
    const record: SessionRecord = {
      sessionId: randomUUID(),
      callId,
      callChainId,
      tenantId,
      region,
      token: randomBytes(24).toString('base64url'),
      createdAt: new Date().toISOString(),
      state: 'reserved',
      grantedAt: null,
      revokedAt: null,
      clientContext: null,
      roster: null,
      streams: {},
      sealed: null,
      extra,
    };
    const session = this.session(record, true);
    this.add(session);
    await this.file.save(record);
    return { session, created: true };
  }

  get(sessionId: string): Session | undefined {
    return this.byId.get(sessionId);
  }

  all(): Session[] {
    return [...this.byId.values()];
  }

  loadReport(workerId: string, bridgeConnections: number): LoadReport {
    let calls = 0;
    let streams = 0;
    let bufferedBytes = 0;
    for (const s of this.byId.values()) {
      if (s.closed) continue;
      calls++;
      for (const st of s.streams.values()) if (!st.ended) streams++;
      bufferedBytes += s.bufferedBytes;
    }
    const { stored, spilled, drained } = this.deps.writer.stats;
    return { workerId, calls, streams, bufferedBytes, spilledChunks: this.deps.writer.spilledCount, bridgeConnections, chunkWrites: { stored, spilled, drained } };
  }
}
