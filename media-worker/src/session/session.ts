// One call leg's recording session: streams, recording gate, bridge link, seal (manifest + Cosmos item).
import type { SealResponse, StreamSummary } from '../../../contracts/worker-api/index.js';
import { RecordingGate } from '../ingest/gate.js';
import type { GapRecord } from '../ingest/frame.js';
import { StreamIngest } from '../ingest/stream-ingest.js';
import { emptyProgress, progressOf, type StreamProgress } from '../ingest/stream-progress.js';
import type { Logger } from '../log.js';
import type { MediaEventInput, MediaEventSink } from '../events/media-event-poster.js';
import { DEFAULT_REPOST, EventReposter, type RepostOptions } from '../events/event-reposter.js';
import { buildManifest, signManifest, SignedManifestSchema, type SignedManifest } from '../manifest/manifest.js';
import type { ManifestSigner } from '../manifest/signer.js';
import type { RecordingsStore } from '../metadata/recordings-store.js';
import type { DurableWriter } from '../storage/durable-writer.js';
import { callPrefix, chunkBlobName, manifestBlobName, type CallLocation } from '../storage/naming.js';
import { ConflictError } from '../storage/object-store.js';
import { HttpError } from '../control/http-error.js';
import { fileRecovered, type FileOutcome } from './file-recovered.js';
import type { ChunkRecord } from '../ingest/hash-chain.js';
import { recoverStreams, type ChainBreak } from './recovery.js';
import { checkRebuilt } from './rebuilt-check.js';
import type { SessionEvent, SessionGap, SessionRecord } from './session-record.js';
import { classifyResumeGap, resumeExpectations, revokedGap, type ResumeExpectation } from './resume-gaps.js';

const MAX_EVENTS = 500;

export interface SessionDeps {
  workerId: string;
  container: string;
  chunkDurationMs: number;
  creditFrames: number;
  writer: DurableWriter;
  signer: ManifestSigner;
  recordings: RecordingsStore | undefined;
  events: MediaEventSink;
  /** Re-posting of `mediaFlowing` / `sessionAdopted` until the grant or revoke arrives (default DEFAULT_REPOST). */
  eventRepost?: RepostOptions;
  log: Logger;
  persist: () => Promise<void>;
}

/** What the bridge connection offers the session. */
export interface BridgeLink {
  ack(streamId: string, seq: number): void;
  consumed(): void;
  goodbye(reason: 'callEnded' | 'recordingStopped', message: string): void;
  /** Route the stream's frames to `stream` from now on (recording resumed on a fresh stream). */
  rebind(streamId: string, stream: StreamIngest): void;
}

/** What is kept of a stream found in storage after a restart or adoption: counters and head, not its chunk list. */
interface StoredStream {
  progress: StreamProgress;
  breaks?: ChainBreak[];
}

export class Session {
  /** Replaced by a fresh granted gate when recording resumes after a resumable revocation. */
  gate: RecordingGate;
  /** Per stream: the seq range dropped while recording was revoked starts right after this durable seq. */
  private revokedFrom = new Map<string, { durableSeq: number; revokedAt: string }>();
  private resuming: Promise<void> | undefined;
  readonly streams = new Map<string, StreamIngest>();
  /** Speaker runs of chunks whose runs were too long for blob metadata (rare; the manifest needs them at seal). */
  private readonly oversizedSpeakers = new Map<string, Map<number, Array<[number, number[]]>>>();
  link: BridgeLink | undefined;
  private recovered: Map<string, StoredStream> | undefined;
  private recovering: Promise<Map<string, StoredStream>> | undefined;
  private sealing: Promise<SealResponse> | undefined;
  private mediaFlowing = false;
  /** Per stream, what the last HELLO said (bridge's last ack) against what was durable then: explains the next gap. */
  private expectations = new Map<string, ResumeExpectation>();
  framesReceived = 0;
  readonly log: Logger;
  /** Events re-posted until the orchestration answers with a grant or revoke (it may lose one at a continueAsNew). */
  readonly reposts: EventReposter;

  constructor(
    readonly record: SessionRecord,
    private readonly deps: SessionDeps,
    fresh: boolean,
  ) {
    this.gate = new RecordingGate(record.grantedAt && !record.revokedAt && !record.suspendedAt ? 'granted' : record.revokedAt || record.suspendedAt ? 'revoked' : 'pending');
    if (record.state === 'sealed' || record.state === 'released') this.gate.revoke();
    if (fresh) this.recovered = new Map();
    this.log = deps.log.child({ sessionId: record.sessionId, callId: record.callId });
    this.reposts = new EventReposter(deps.events, deps.eventRepost ?? DEFAULT_REPOST, this.log);
  }

  get id(): string {
    return this.record.sessionId;
  }

  get location(): CallLocation {
    return { region: this.record.region, tenantId: this.record.tenantId, callId: this.record.callId, createdAt: this.record.createdAt };
  }

  get closed(): boolean {
    return this.record.state === 'sealed' || this.record.state === 'released';
  }

  get framesPerChunk(): number {
    return this.deps.chunkDurationMs / 20;
  }

  /** Loads what is stored for this call once (after a restart); fresh sessions have nothing. */
  ensureRecovered(): Promise<Map<string, StoredStream>> {
    if (this.recovered) return Promise.resolve(this.recovered);
    this.recovering ??= recoverStreams(this.record.callId, callPrefix(this.location), this.deps.writer).then((found) => {
      // Only counters and heads stay in memory; the chunk lists are read again at seal.
      const r = new Map<string, StoredStream>();
      for (const [id, st] of found) r.set(id, { progress: progressOf(this.record.callId, id, st.records), ...(st.breaks ? { breaks: st.breaks } : {}) });
      this.recovered = r;
      this.declareBreaks(r);
      this.log.info('recovered stored chunks', { streams: [...r].map(([id, s]) => ({ id, chunks: s.progress.chunks, durableSeq: s.progress.lastSeq ?? 0 })) });
      return r;
    });
    return this.recovering;
  }

  /** Chunks lost between stored ones (a lost worker's spill): declared `workerLost` gaps, once. */
  private declareBreaks(recovered: Map<string, StoredStream>): void {
    const gaps = (this.record.gaps ??= []);
    const at = new Date().toISOString();
    let added = false;
    for (const b of [...recovered.values()].flatMap((st) => st.breaks ?? [])) {
      if (gaps.some((g) => g.streamId === b.streamId && g.fromSeq === b.fromSeq && g.reason === 'workerLost')) continue;
      gaps.push({ streamId: b.streamId, fromSeq: b.fromSeq, toSeq: b.toSeq, reason: 'workerLost', detectedAt: at });
      added = true;
      this.log.warn('stored chain has a hole: declared', { ...b });
    }
    if (added) void this.deps.persist().catch((err: unknown) => this.log.warn('session record not saved', { error: String(err) }));
  }

  /** Per known stream, the highest durable seq (WELCOME). */
  durablePoints(): Array<{ streamId: string; seq: number }> {
    const points = new Map<string, number>();
    for (const [id, r] of this.recovered ?? []) points.set(id, r.progress.lastSeq ?? 0);
    for (const [id, s] of this.streams) points.set(id, s.durableSeq);
    // Frames dropped under a revocation are settled: the bridge must drop them too, never replay them after a re-grant.
    for (const [id, seq] of Object.entries(this.record.settled ?? {})) if (seq > (points.get(id) ?? 0)) points.set(id, seq);
    return [...points].map(([streamId, seq]) => ({ streamId, seq }));
  }

  /** STREAM_START: opens (or resumes) a stream. Call after ensureRecovered(). */
  openStream(streamId: string, kind: 'mixed' | 'unmixed', sourceId: number | null): StreamIngest {
    const existing = this.streams.get(streamId);
    if (existing && !existing.ended) return existing;
    const start = existing ? existing.progress : this.recovered?.get(streamId)?.progress;
    const stream = this.createIngest(streamId, kind, sourceId, start);
    this.streams.set(streamId, stream);
    if (!this.record.streams[streamId]) {
      this.record.streams[streamId] = { kind, sourceId };
      void this.deps.persist();
    }
    return stream;
  }

  private createIngest(streamId: string, kind: 'mixed' | 'unmixed', sourceId: number | null, start: StreamProgress | undefined): StreamIngest {
    const stream = new StreamIngest(
      {
        callId: this.record.callId,
        streamId,
        kind,
        sourceId,
        framesPerChunk: this.framesPerChunk,
        queueCapacity: this.deps.creditFrames * 2,
        maxPendingCommits: 3,
        chunkName: (index) => chunkBlobName(this.location, streamId, index),
        committer: { commit: (name, data, metadata) => this.deps.writer.commit(name, data, { metadata }) },
        gate: this.gate,
        log: this.log.child({ streamId }),
        onConsumed: () => this.link?.consumed(),
        onDurable: (seq) => this.link?.ack(streamId, seq),
        onGap: (gap) => this.onGap(streamId, gap),
        onOversizedSpeakers: (index, runs) => {
          const byIndex = this.oversizedSpeakers.get(streamId) ?? new Map<number, Array<[number, number[]]>>();
          byIndex.set(index, runs);
          this.oversizedSpeakers.set(streamId, byIndex);
        },
        retryDelayMs: 200,
      },
      start,
    );
    return stream;
  }

  onFrame(streamId: string): void {
    this.framesReceived++;
    if (!this.mediaFlowing) {
      this.mediaFlowing = true;
      this.emitUntilAnswered({ type: 'mediaFlowing', callId: this.record.callId, sessionId: this.id, streamId });
    }
  }

  /** A HELLO was answered: record it, and what the bridge's resume points say about frames lost on the way. */
  linkOpened(resume: ReadonlyArray<{ streamId: string; seq: number }>, adopted: boolean): void {
    const durable = this.durablePoints();
    this.expectations = resumeExpectations(durable, resume, (streamId) => this.lastDurableTimestamp(streamId));
    const lost = [...this.expectations.values()].filter((e) => e.ackedSeq > e.durableSeq);
    this.note('bridgeConnected', {
      adopted,
      streams: resume.length,
      ackedButNotStored: lost.reduce((n, e) => n + (e.ackedSeq - e.durableSeq), 0),
    });
    if (adopted) {
      this.emitUntilAnswered({ type: 'sessionAdopted', callId: this.record.callId, sessionId: this.id, issuer: this.record.adopted?.issuer ?? 'unknown', durable });
      this.log.info('session adopted', { issuer: this.record.adopted?.issuer, durable, ackedButNotStored: lost.map((e) => ({ streamId: e.streamId, from: e.durableSeq + 1, to: e.ackedSeq })) });
    }
  }

  /**
   * `mediaFlowing` and `sessionAdopted` are what makes the orchestration ask Graph to confirm recording and send the
   * grant here (or re-pin the call): while no grant or revoke came, re-post them (same eventId) so that one lost by
   * the orchestration (at a continueAsNew) is not fatal. With the gate already decided, once is enough.
   */
  private emitUntilAnswered(event: Extract<MediaEventInput, { type: 'mediaFlowing' | 'sessionAdopted' }>): void {
    if (this.gate.state === 'pending' && !this.closed) this.reposts.start(event.type, event);
    else this.deps.events.emit(event);
  }

  linkClosed(reason: string): void {
    this.note('bridgeDisconnected', { reason });
  }

  /** Appends to the session's event log (bounded; persisted; goes into the manifest). */
  note(type: SessionEvent['type'], detail: SessionEvent['detail'] = {}): void {
    const events = (this.record.events ??= []);
    events.push({ at: new Date().toISOString(), type, workerId: this.deps.workerId, detail });
    if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
    void this.deps.persist().catch((err: unknown) => this.log.warn('session record not saved', { error: String(err) }));
  }

  private lastDurableTimestamp(streamId: string): string | null {
    return (this.streams.get(streamId)?.progress ?? this.recovered?.get(streamId)?.progress)?.lastTimestamp ?? null;
  }

  private onGap(streamId: string, gap: GapRecord): void {
    const expectation = this.expectations.get(streamId);
    let explained = expectation ? classifyResumeGap(expectation, gap, new Date().toISOString()) : [];
    const revoked = this.revokedFrom.get(streamId);
    if (explained.length === 0 && revoked) {
      explained = revokedGap(streamId, revoked, gap, new Date().toISOString());
      if (explained.length > 0) this.revokedFrom.delete(streamId);
    }
    if (explained.length > 0) {
      this.expectations.delete(streamId);
      (this.record.gaps ??= []).push(...explained);
      void this.deps.persist().catch((err: unknown) => this.log.warn('session record not saved', { error: String(err) }));
    }
    this.log.warn('stream gap', { streamId, ...gap, explainedAs: explained.map((g) => g.reason) });
    this.deps.events.emit({ type: 'streamGap', callId: this.record.callId, sessionId: this.id, gap: { streamId, ...gap, detectedAt: new Date().toISOString() } });
  }

  /**
   * `granted` opens the gate (or resumes after a resumable revocation); `revoked` stops persisting at once. A final
   * revocation (the default) closes the gate for good and tells the bridge `GOODBYE recordingStopped`; a resumable one
   * (`final: false`) keeps the bridge connected, drops what arrives, and a later grant resumes on fresh streams that
   * continue each chain from its durable point: the frames in between are a `recordingRevoked` gap.
   */
  async setGrant(status: 'granted' | 'revoked', clientContext: string | undefined, final = true): Promise<void> {
    this.reposts.settleAll(status);
    if (this.closed) throw new HttpError(409, 'sessionClosed', `session is ${this.record.state}`);
    const now = new Date().toISOString();
    if (status === 'granted') {
      if (this.gate.state === 'revoked' && this.record.suspendedAt) {
        // One resume at a time (a repeated grant while it waits for in-flight commits joins it).
        this.resuming ??= this.resume(now, clientContext).finally(() => {
          this.resuming = undefined;
        });
        return this.resuming;
      }
      if (this.gate.state === 'revoked') throw new HttpError(409, 'revoked', 'recording was revoked for this session; a revoked session is not re-granted');
      if (this.gate.state === 'granted') return;
      this.record.grantedAt = now;
      this.record.clientContext = clientContext ?? null;
      this.record.state = 'granted';
      await this.deps.persist();
      this.gate.grant();
      this.note('granted', {});
      return;
    }
    if (this.gate.state === 'revoked' && (!final || !this.record.suspendedAt)) return;
    // Stop persisting first (the gate), then record the state.
    this.gate.revoke();
    for (const s of this.streams.values()) s.discardQueued();
    if (!final) {
      this.record.suspendedAt = now;
      for (const [id, st] of this.streams) this.revokedFrom.set(id, { durableSeq: st.durableSeq, revokedAt: now });
      await this.deps.persist();
      this.note('revoked', { final: false });
      return;
    }
    this.record.suspendedAt = null;
    this.record.revokedAt = now;
    this.record.state = 'revoked';
    await this.deps.persist();
    this.note('revoked', { final: true });
    this.link?.goodbye('recordingStopped', 'recording revoked');
  }

  /** After a resumable revocation: settle what was dropped, then continue each stream on a fresh, granted gate. */
  private async resume(now: string, clientContext: string | undefined): Promise<void> {
    // Chunks that were committing when recording was revoked finish first (their records must be in the chain).
    const deadline = Date.now() + 30_000;
    while ([...this.streams.values()].some((st) => !st.ended && st.bufferedBytes > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (this.closed || !this.record.suspendedAt) return; // sealed, released or revoked for good meanwhile
    const gate = new RecordingGate('granted');
    this.gate = gate;
    const settled = (this.record.settled ??= {});
    for (const [id, old] of [...this.streams]) {
      if (old.ended) continue;
      settled[id] = Math.max(settled[id] ?? 0, old.durableSeq, old.droppedHighest);
      const meta = this.record.streams[id] ?? { kind: 'mixed' as const, sourceId: null };
      const fresh = this.createIngest(id, meta.kind, meta.sourceId, old.progress);
      this.streams.set(id, fresh);
      this.revokedFrom.set(id, { durableSeq: fresh.durableSeq, revokedAt: this.revokedFrom.get(id)?.revokedAt ?? this.record.suspendedAt ?? now });
      this.link?.rebind(id, fresh);
      void old.end().catch((err: unknown) => this.log.warn('revoked stream did not end cleanly', { streamId: id, error: String(err) }));
    }
    this.record.suspendedAt = null;
    this.record.grantedAt ??= now; // revoked before any grant, then granted: recording starts here
    this.record.state = 'granted';
    this.record.clientContext = clientContext ?? this.record.clientContext;
    await this.deps.persist();
    this.note('granted', { resumed: true, settled: Object.entries(settled).map(([k, v]) => `${k}:${v}`).join(',') });
  }

  /** Final: a revocation that ends recording for good, or a closed session (the bridge is told to stop). */
  get recordingStopped(): boolean {
    return this.gate.state === 'revoked' && !this.record.suspendedAt;
  }

  summaries(): StreamSummary[] {
    const ids = new Set([...Object.keys(this.record.streams), ...this.streams.keys(), ...(this.recovered?.keys() ?? [])]);
    return [...ids].sort().map((streamId) => {
      const p = this.progressOf(streamId);
      const meta = this.record.streams[streamId] ?? { kind: 'mixed' as const, sourceId: null };
      return { streamId, kind: meta.kind, sourceId: meta.sourceId, chunks: p.chunks, frames: p.frames, bytes: p.bytes, firstSeq: p.firstSeq, lastSeq: p.lastSeq, chainHead: p.chainHead };
    });
  }

  /** Durable counters and head of a stream: the live ingest's, else what recovery found, else none. */
  private progressOf(streamId: string): StreamProgress {
    return this.streams.get(streamId)?.progress ?? this.recovered?.get(streamId)?.progress ?? emptyProgress(this.record.callId, streamId);
  }

  get bufferedBytes(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.bufferedBytes;
    return n;
  }

  /** Seals every stream and writes the signed manifest (last, never overwritten) and the Cosmos item. Idempotent. */
  seal(): Promise<SealResponse> {
    this.reposts.settleAll('seal');
    if (this.record.sealed) return Promise.resolve(this.record.sealed);
    if (this.record.state === 'released') return Promise.reject(new HttpError(409, 'sessionClosed', 'session was released'));
    this.sealing ??= this.doSeal().finally(() => {
      this.sealing = undefined;
    });
    return this.sealing;
  }

  private async doSeal(): Promise<SealResponse> {
    if (this.gate.state === 'pending') this.gate.revoke(); // never granted: nothing may be persisted
    await Promise.all([...this.streams.values()].map((s) => s.end()));
    const base = { sessionId: this.id, callId: this.record.callId, state: 'sealed' as const };
    // An adopted session holds chunks another worker stored under its grant, even if this worker got none yet.
    const storedElsewhere = this.record.adopted ? [...(await this.ensureRecovered()).values()].some((r) => r.progress.chunks > 0) : false;
    if (!this.record.grantedAt && !storedElsewhere) {
      const result: SealResponse = { ...base, manifestBlob: null, streams: [], gaps: [], nothingRecorded: true };
      return this.finishSeal(result);
    }
    const prefix = callPrefix(this.location);
    const remaining = await this.deps.writer.drain(prefix);
    if (remaining > 0) throw new HttpError(503, 'storageUnavailable', `${remaining} chunks are still only in the local spill journal; retry the seal`);
    await this.ensureRecovered();
    const manifestName = manifestBlobName(this.location);
    const manifest = await this.writeManifest(manifestName, prefix);
    const streams = manifest.streams.map((s) => ({
      streamId: s.streamId,
      kind: s.kind,
      sourceId: s.sourceId,
      chunks: s.chunks.length,
      frames: s.frames,
      bytes: s.bytes,
      firstSeq: s.chunks[0]?.firstSeq ?? null,
      lastSeq: s.chunks.at(-1)?.lastSeq ?? null,
      chainHead: s.chainHead,
    }));
    const gaps = manifest.gaps.map((g) => ({ streamId: g.streamId, fromSeq: g.fromSeq, toSeq: g.toSeq, reason: g.reason as SealResponse['gaps'][number]['reason'], detectedAt: g.detectedAt ?? manifest.sealedAt }));
    if (this.deps.recordings) {
      await this.deps.recordings.create({
        id: this.record.callId,
        type: 'recording',
        callId: this.record.callId,
        callChainId: this.record.callChainId,
        tenantId: this.record.tenantId,
        region: this.record.region,
        sessionId: this.id,
        workerId: manifest.workerId,
        manifestBlob: manifestName,
        container: this.deps.container,
        streams: streams.map((s) => ({ streamId: s.streamId, kind: s.kind, sourceId: s.sourceId, chunks: s.chunks, frames: s.frames, bytes: s.bytes, chainHead: s.chainHead })),
        chunkCount: streams.reduce((n, s) => n + s.chunks, 0),
        gapCount: gaps.length,
        integrity: 'sealed',
        integrityCheckedAt: null,
        createdAt: this.record.createdAt,
        grantedAt: this.record.grantedAt,
        sealedAt: manifest.sealedAt,
      });
    }
    return this.finishSeal({ ...base, manifestBlob: manifestName, streams, gaps, nothingRecorded: false });
  }

  /** Sealed while recording was revoked: what was dropped at the end of each stream is a declared gap too. */
  private revokedTail(): SessionGap[] {
    const out: SessionGap[] = [];
    const at = new Date().toISOString();
    for (const [id, r] of this.revokedFrom) {
      const st = this.streams.get(id);
      const to = Math.max(st?.droppedHighest ?? 0, this.record.settled?.[id] ?? 0);
      const from = Math.max(r.durableSeq, st?.durableSeq ?? 0) + 1;
      if (to >= from) out.push({ streamId: id, fromSeq: from, toSeq: to, reason: 'recordingRevoked', detectedAt: at, revokedAt: r.revokedAt });
    }
    return out;
  }

  private async writeManifest(name: string, prefix: string): Promise<SignedManifest> {
    const ids = new Set([...Object.keys(this.record.streams), ...this.streams.keys(), ...(this.recovered?.keys() ?? [])]);
    // The chunk lists are not kept in memory: rebuilt from storage (every stream ended, its commits awaited, the spill
    // drained), then checked against the in-memory heads and counters. A disagreement fails the seal: nothing is signed.
    // A lost worker that came back may already have stored the chunks it had acked inside a declared gap (its spill
    // journal drains on restart): they are not part of this chain; its supplement files them once the manifest exists.
    const sessionGaps = [...(this.record.gaps ?? []), ...this.revokedTail()];
    const inDeclaredGap = (r: ChunkRecord): boolean =>
      sessionGaps.some((g) => g.streamId === r.streamId && g.fromSeq <= r.firstSeq && r.lastSeq <= g.toSeq);
    const stored = await recoverStreams(this.record.callId, prefix, this.deps.writer, inDeclaredGap);
    const problems = [...ids].flatMap((id) => checkRebuilt(id, this.progressOf(id), stored.get(id)?.records ?? []));
    if (problems.length > 0) {
      this.log.error('chunk list rebuilt from storage disagrees with the stream state: not sealed', { problems });
      throw new HttpError(500, 'manifestMismatch', `chunk list rebuilt from storage disagrees with the recorded streams: ${problems.join('; ')}`);
    }
    const body = buildManifest({
      callId: this.record.callId,
      callChainId: this.record.callChainId,
      tenantId: this.record.tenantId,
      region: this.record.region,
      sessionId: this.id,
      workerId: this.deps.workerId,
      container: this.deps.container,
      prefix,
      chunkDurationMs: this.deps.chunkDurationMs,
      createdAt: this.record.createdAt,
      grantedAt: this.record.grantedAt,
      revokedAt: this.record.revokedAt,
      sealedAt: new Date().toISOString(),
      roster: this.record.roster,
      sessionGaps,
      events: this.record.events ?? [],
      chainBreaks: [...(this.recovered?.values() ?? [])].flatMap((st) => st.breaks ?? []),
      streams: [...ids].map((streamId) => {
        const rebuilt = stored.get(streamId);
        const meta = this.record.streams[streamId] ?? { kind: 'mixed' as const, sourceId: null };
        return {
          streamId,
          kind: meta.kind,
          sourceId: meta.sourceId,
          records: rebuilt?.records ?? [],
          chunkName: (index: number) => chunkBlobName(this.location, streamId, index),
          speakers: (index: number) => rebuilt?.speakers.get(index) ?? this.oversizedSpeakers.get(streamId)?.get(index) ?? null,
        };
      }),
    });
    const signed = await signManifest(body, this.deps.signer);
    try {
      await this.deps.writer.primary.putIfAbsent(name, Buffer.from(JSON.stringify(signed, null, 1), 'utf8'), {
        contentType: 'application/json',
        tags: { callid: this.record.callId, kind: 'manifest' },
      });
      return signed;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // An earlier seal (before a crash) wrote it: the first manifest stands, never overwritten.
      const existing = await this.deps.writer.primary.get(name);
      const parsed = existing ? SignedManifestSchema.safeParse(JSON.parse(existing.data.toString('utf8'))) : undefined;
      if (!parsed?.success) throw new Error(`manifest ${name} exists but cannot be read`);
      return parsed.data;
    }
  }

  private async finishSeal(result: SealResponse): Promise<SealResponse> {
    this.record.state = 'sealed';
    this.record.sealed = result;
    await this.deps.persist();
    this.deps.events.emit({ type: 'sealed', callId: this.record.callId, sessionId: this.id, manifestBlob: result.manifestBlob, streams: result.streams, nothingRecorded: result.nothingRecorded });
    this.link?.goodbye('callEnded', 'session sealed');
    this.log.info('sealed', { manifestBlob: result.manifestBlob, nothingRecorded: result.nothingRecorded });
    return result;
  }

  /**
   * Loaded after a restart: if another worker already sealed the call, this worker's spilled chunks still go to Blob
   * and a signed supplement names them; the session is then released here (never sealed a second time).
   */
  async fileIfSealedElsewhere(): Promise<FileOutcome> {
    if (this.closed) return { kind: 'closed' };
    const outcome = await fileRecovered(this.location, this.id, { workerId: this.deps.workerId, writer: this.deps.writer, signer: this.deps.signer, log: this.log });
    if (outcome.kind !== 'filed') return outcome;
    this.reposts.settleAll('sealed elsewhere');
    this.gate.revoke();
    this.record.state = 'released';
    this.note('supplementFiled', { manifestBlob: outcome.manifestBlob, supplementBlob: outcome.supplementBlob, chunks: outcome.chunks, frames: outcome.frames });
    await this.deps.persist();
    return outcome;
  }

  async release(): Promise<void> {
    this.reposts.settleAll('release');
    if (this.gate.state === 'pending') this.gate.revoke();
    for (const s of this.streams.values()) s.discardQueued();
    await Promise.all([...this.streams.values()].map((s) => s.end()));
    this.record.state = 'released';
    await this.deps.persist();
    this.link?.goodbye('callEnded', 'session released');
  }
}
