// The worker's sessions, by id and by call id; persisted to a small local file on every state change.
import { randomUUID } from 'node:crypto';
import type { LoadReport, ReserveSessionRequest } from '../../../contracts/worker-api/index.js';
import { RegistryFile } from './registry-file.js';
import { Session, type SessionDeps } from './session.js';
import { freshSessionRecord, type SessionRecord } from './session-record.js';
import { issueTicket, type TicketDescriptor } from './session-ticket.js';

export interface TicketOptions {
  /** deriveTicketKey(WORKER_SHARED_KEY): the same on every worker of the pool. */
  key: Buffer;
  ttlMs: number;
}

export class SessionRegistry {
  private readonly byId = new Map<string, Session>();
  private readonly byCall = new Map<string, Session>();
  private readonly file: RegistryFile;
  private readonly deps: Omit<SessionDeps, 'persist'>;
  private readonly adopting = new Map<string, Promise<Session>>();

  constructor(
    registryDir: string,
    deps: Omit<SessionDeps, 'persist'>,
    readonly tickets: TicketOptions,
    private readonly sealedElsewhereCheckMs = 5000,
  ) {
    this.file = new RegistryFile(registryDir);
    this.deps = deps;
  }

  async load(): Promise<number> {
    for (const record of await this.file.load()) this.add(this.session(record, false));
    for (const s of this.byId.values()) if (!s.closed) this.watchSealedElsewhere(s);
    return this.byId.size;
  }

  /**
   * A session still open after a restart may have been sealed by another worker meanwhile (this one was lost): check
   * now, then after `sealedElsewhereCheckMs`, doubling up to a minute while it stays open here (one GET of the
   * manifest per check), and file what this worker recovered.
   */
  private watchSealedElsewhere(session: Session): void {
    let delayMs = this.sealedElsewhereCheckMs;
    const later = (): void => {
      setTimeout(check, delayMs).unref();
      delayMs = Math.min(delayMs * 2, 60_000);
    };
    const check = (): void => {
      if (session.closed) return;
      session.fileIfSealedElsewhere().then(
        (outcome) => {
          if (outcome.kind === 'filed' || outcome.kind === 'sealedHere' || outcome.kind === 'closed') return;
          later();
        },
        (err: unknown) => {
          session.log.warn('filing recovered chunks failed; retrying', { error: String(err) });
          later();
        },
      );
    };
    check();
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
    const sessionId = randomUUID();
    const now = new Date();
    const createdAt = now.toISOString();
    const descriptor: TicketDescriptor = {
      sessionId, callId, callChainId, tenantId, region, createdAt, issuer: this.deps.workerId,
      issuedAt: createdAt, expiresAt: new Date(now.getTime() + this.tickets.ttlMs).toISOString(),
    };
    const record = freshSessionRecord(
      { sessionId, callId, callChainId, tenantId, region, token: issueTicket(descriptor, this.tickets.key), createdAt },
      { extra },
    );
    const session = this.session(record, true);
    this.add(session);
    await this.file.save(record);
    return { session, created: true };
  }

  /**
   * Takes over a session another worker of the pool reserved (its ticket verified by the caller). The gate starts
   * closed (no grant yet on this worker); what is stored for the call is recovered from Blob on first use.
   * Idempotent per session id (concurrent HELLOs share one adoption).
   */
  adopt(descriptor: TicketDescriptor, token: string): Promise<Session> {
    const known = this.byId.get(descriptor.sessionId);
    if (known) return Promise.resolve(known);
    const pending = this.adopting.get(descriptor.sessionId);
    if (pending) return pending;
    const run = (async () => {
      const at = new Date().toISOString();
      const { sessionId, callId, callChainId, tenantId, region, createdAt } = descriptor;
      const record = freshSessionRecord({ sessionId, callId, callChainId, tenantId, region, token, createdAt }, {
        adopted: { at, issuer: descriptor.issuer },
        events: [{ at, type: 'adopted', workerId: this.deps.workerId, detail: { issuer: descriptor.issuer } }],
        gaps: [],
      });
      const session = this.session(record, false);
      this.add(session);
      await this.file.save(record);
      return session;
    })().finally(() => this.adopting.delete(descriptor.sessionId));
    this.adopting.set(descriptor.sessionId, run);
    return run;
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
