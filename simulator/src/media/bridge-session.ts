// The bridge side of one call leg's session (media-worker/PROTOCOL.md): credit flow control, cumulative ACKs, un-acked
// frames kept and replayed after a reconnect, orderly end. It talks through a channel of a shared link to its worker
// (default; bridge-link.ts) or a dedicated connection. When its worker is lost it moves the session to the alternates
// (same HELLO: session ticket + resume points).
import { createHash, type Hash } from 'node:crypto';
import { PROTOCOL_VERSION, type BridgeMessage, type StreamKindName } from '../../../contracts/bridge/index.js';
import type { Logger } from '../log.js';
import type { StreamTruth } from '../teams/media-hooks.js';
import type { LinkChannel, MessageScope, SessionMessage } from './bridge-link.js';
import { defaultLinkPool, type BridgeLinkPool } from './bridge-link-pool.js';

export interface OutFrame {
  seq: number;
  timestamp: bigint;
  flags: number;
  speakers: number[];
  payload: Buffer;
}

interface StreamState {
  streamId: string;
  kind: StreamKindName;
  sourceId: number;
  /** Un-acked frames in seq order (seqs are contiguous). */
  retained: OutFrame[];
  lastSeq: number;
  ackedSeq: number;
  /** Highest seq sent on the current connection. */
  sentSeq: number;
  /** Highest seq ever sent (for hashing exactly what was sent, once, in order). */
  maxSentSeq: number;
  index?: number;
  hash: Hash;
  /** Hash of every produced frame (the truth of what Teams sent), before any shedding. */
  generated: Hash;
  frames: number;
  bytes: number;
  firstTs?: bigint;
  lastTs?: bigint;
  endSent: boolean;
}

export interface BridgeAddress {
  host: string;
  port: number;
}

export interface BridgeTarget extends BridgeAddress {
  sessionId: string;
  token: string;
  callId: string;
  /** Other workers of the pool, tried in order after `retriesPerWorker` failed attempts on the current one. */
  alternates?: BridgeAddress[];
}

/** One welcome on a worker: when, where, and when its first ACK came (a move = a welcome on another address). */
export interface BridgeLinkRecord {
  address: string;
  welcomedAt: number;
  firstAckAt: number | null;
  /** Per stream, the durable seq the worker announced in WELCOME. */
  durable: Array<{ streamId: string; seq: number }>;
  /** Per stream, this bridge's last ACK when it said HELLO. */
  resume: Array<{ streamId: string; seq: number }>;
}

export interface BridgeSessionOptions {
  /** Give up (media lost) after being disconnected this long. */
  giveUpMs: number;
  maxBackoffMs: number;
  /** Frames kept un-acked per stream before the oldest are shed. */
  maxRetainFrames: number;
  /** Failed connection attempts on one worker before the next address is tried. */
  retriesPerWorker: number;
  /** Called with every frame as Teams produced it (before any loss): the ground truth per seq, for tests. */
  onGenerated?: (streamId: string, seq: number, payload: Buffer) => void;
  /** `sharedLink` (default): a channel on the link to the worker that all sessions share; `dedicated`: a connection of its own. */
  transport?: BridgeTransport;
  /** Where the links live (default: the process-wide pool). */
  linkPool?: BridgeLinkPool;
}

export type BridgeTransport = 'sharedLink' | 'dedicated';

export const DEFAULT_BRIDGE_OPTIONS: BridgeSessionOptions = { giveUpMs: 15_000, maxBackoffMs: 5000, maxRetainFrames: 30_000, retriesPerWorker: 2, transport: 'sharedLink' };

const REFUSALS = new Set(['authFailed', 'unknownSession', 'sessionClosed', 'unsupportedVersion']);

type Phase = 'connecting' | 'hello' | 'open' | 'closed' | 'stopped';

export class BridgeSession {
  private streams = new Map<string, StreamState>();
  private byIndex = new Map<number, StreamState>();
  private channel?: LinkChannel;
  private readonly pool: BridgeLinkPool;
  private phase: Phase = 'closed';
  private credit = 0;
  private backoffMs = 100;
  private disconnectedSince?: number;
  private finishing = false;
  private done = false;
  private ackWaiters: (() => void)[] = [];
  private readonly addresses: BridgeAddress[];
  private current = 0;
  private failuresHere = 0;
  /** Addresses that refused this session (authFailed, unknownSession, sessionClosed) since the last welcome. */
  private refused = new Set<number>();
  private pendingResume: Array<{ streamId: string; seq: number }> = [];
  /** The current attempt got an ERROR (its text is a better lastError than the close that follows). */
  private attemptError = false;
  readonly links: BridgeLinkRecord[] = [];
  /** When the last working connection was lost (ms epoch), and why. */
  lostAt: number | null = null;
  connects = 0;
  replayedFrames = 0;
  ackedFrames = 0;
  shedFrames = 0;
  lastError?: string;

  constructor(
    private readonly target: BridgeTarget,
    private readonly log: Logger,
    private readonly onLost: (reason: string) => void,
    private readonly o: BridgeSessionOptions = DEFAULT_BRIDGE_OPTIONS,
  ) {
    this.addresses = [{ host: target.host, port: target.port }, ...(target.alternates ?? [])];
    this.pool = o.linkPool ?? defaultLinkPool();
  }

  /** How this session reaches its worker. */
  get transport(): BridgeTransport {
    return this.o.transport ?? 'sharedLink';
  }

  /** The worker address this session is on (or trying). */
  get address(): string {
    const a = this.addresses[this.current] ?? this.addresses[0];
    return `tcp://${a?.host}:${a?.port}`;
  }

  start(): void {
    this.open();
  }

  /** Frames waiting to go out on the wire (credit or connection permitting). */
  unsentFrames(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.lastSeq - s.sentSeq;
    return n;
  }

  isStopped(): boolean {
    return this.phase === 'stopped';
  }

  addStream(streamId: string, kind: StreamKindName, sourceId: number): void {
    if (this.streams.has(streamId)) return;
    const s: StreamState = { streamId, kind, sourceId, retained: [], lastSeq: 0, ackedSeq: 0, sentSeq: 0, maxSentSeq: 0, hash: createHash('sha256'), generated: createHash('sha256'), frames: 0, bytes: 0, endSent: false };
    this.streams.set(streamId, s);
    if (this.phase === 'open') this.startStream(s);
  }

  /** Appends the next frame of a stream (seq assigned here) and sends what credit allows. */
  push(streamId: string, frame: Omit<OutFrame, 'seq'>): void {
    const s = this.streams.get(streamId);
    if (!s || this.phase === 'stopped' || this.done) return;
    const f: OutFrame = { ...frame, seq: ++s.lastSeq };
    this.o.onGenerated?.(streamId, f.seq, f.payload);
    s.generated.update(f.payload);
    s.retained.push(f);
    if (s.retained.length > this.o.maxRetainFrames) {
      const shed = s.retained.length - this.o.maxRetainFrames;
      s.retained.splice(0, shed);
      this.shedFrames += shed;
      const floor = (s.retained[0]?.seq ?? s.lastSeq + 1) - 1;
      s.sentSeq = Math.max(s.sentSeq, floor);
      s.maxSentSeq = Math.max(s.maxSentSeq, floor);
    }
    this.pump();
  }

  /** Ends every stream, waits up to timeoutMs for the final ACKs, says GOODBYE and closes. */
  async finish(timeoutMs: number): Promise<void> {
    if (this.done) return;
    this.finishing = true;
    this.pump();
    const allAcked = (): boolean => [...this.streams.values()].every((s) => s.ackedSeq >= s.lastSeq);
    const deadline = Date.now() + timeoutMs;
    while (!allAcked() && Date.now() < deadline && this.phase !== 'stopped') {
      await new Promise<void>((r) => {
        this.ackWaiters.push(r);
        setTimeout(r, 100).unref();
      });
      this.pump();
    }
    if (this.phase === 'open') this.write({ type: 'goodbye', reason: 'callEnded', message: 'call ended' });
    this.close();
  }

  /** Simulates the media path dying (worker killed / network gone): close now, no reconnect. Other sessions on its link stay. */
  kill(reason: string): void {
    this.lastError = reason;
    this.close(reason);
    this.onLost(reason);
  }

  summary(): { streams: StreamTruth[] } {
    return {
      streams: [...this.streams.values()].map((s) => ({
        streamId: s.streamId,
        ...(s.kind === 'unmixed' ? { sourceId: String(s.sourceId) } : {}),
        frames: s.frames,
        bytes: s.bytes,
        sha256: s.hash.copy().digest('hex'),
        ...(s.firstTs !== undefined ? { firstTimestamp: s.firstTs.toString() } : {}),
        ...(s.lastTs !== undefined ? { lastTimestamp: s.lastTs.toString() } : {}),
        generatedFrames: s.lastSeq,
        generatedSha256: s.generated.copy().digest('hex'),
      })),
    };
  }

  // ---- connection ------------------------------------------------------------------------------------

  private open(): void {
    if (this.phase === 'stopped' || this.done) return;
    this.phase = 'connecting';
    this.attemptError = false;
    const addr = this.addresses[this.current] ?? { host: this.target.host, port: this.target.port };
    const ch: LinkChannel = this.pool.attach(addr, this.transport === 'dedicated' ? 'dedicated' : 'shared', {
      onReady: () => this.onReady(ch),
      onMessage: (m, scope) => {
        if (this.channel === ch) this.onMessage(m, scope);
      },
      onDrain: () => this.pump(),
      onClosed: (reason) => this.onClosed(ch, reason),
    });
    this.channel = ch;
  }

  private onReady(ch: LinkChannel): void {
    if (this.channel !== ch || this.phase !== 'connecting') return;
    this.connects++;
    this.phase = 'hello';
    this.pendingResume = [...this.streams.values()].map((s) => ({ streamId: s.streamId, seq: s.ackedSeq }));
    this.write({
      type: 'hello', version: PROTOCOL_VERSION, sessionId: this.target.sessionId, token: this.target.token, callId: this.target.callId,
      resume: this.pendingResume,
    });
  }

  /** The channel or its link is gone: resume on a new one (this worker, or the next address), or give up. */
  private onClosed(ch: LinkChannel, reason: string): void {
    if (this.channel !== ch) return;
    this.channel = undefined;
    if (this.phase === 'stopped' || this.done) return;
    if (!this.attemptError) this.lastError = reason;
    if (this.phase === 'open') this.lostAt = Date.now();
    if (this.phase !== 'open') this.failuresHere++;
    this.phase = 'closed';
    this.disconnectedSince ??= Date.now();
    this.chooseNextAddress();
    if (Date.now() - this.disconnectedSince > this.o.giveUpMs) {
      this.close();
      this.onLost(`bridge unreachable for ${this.o.giveUpMs} ms: ${this.lastError ?? 'closed'}`);
      return;
    }
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs);
    setTimeout(() => this.open(), delay).unref();
  }

  /** After `retriesPerWorker` failed attempts (or a refusal), move on to the next address that has not refused. */
  private chooseNextAddress(): void {
    if (this.addresses.length < 2) return;
    if (this.failuresHere < this.o.retriesPerWorker && !this.refused.has(this.current)) return;
    for (let step = 1; step <= this.addresses.length; step++) {
      const next = (this.current + step) % this.addresses.length;
      if (!this.refused.has(next)) {
        if (next !== this.current) this.backoffMs = 100;
        this.current = next;
        this.failuresHere = 0;
        return;
      }
    }
  }

  /**
   * Stops for good: leaves the channel (a dedicated connection ends after what is queued). With `dropReason` the
   * media path is cut instead (ERROR on a shared link's channel; a dedicated connection just ends).
   */
  private close(dropReason?: string): void {
    this.phase = 'stopped';
    this.done = true;
    const ch = this.channel;
    this.channel = undefined;
    if (dropReason !== undefined) ch?.drop(dropReason);
    else ch?.leave('session stopped');
    for (const w of this.ackWaiters.splice(0)) w();
  }

  /** Leaves the channel without a word (the worker closed it, or the session will resume elsewhere). */
  private dropChannel(reason: string): void {
    this.channel?.abort(reason);
  }

  private onMessage(m: BridgeMessage, scope: MessageScope): void {
    switch (m.type) {
      case 'welcome': {
        this.phase = 'open';
        this.failuresHere = 0;
        this.refused.clear();
        this.links.push({ address: this.address, welcomedAt: Date.now(), firstAckAt: null, durable: m.durable.map((d) => ({ ...d })), resume: this.pendingResume });
        this.credit = m.creditFrames;
        this.backoffMs = 100;
        this.disconnectedSince = undefined;
        this.byIndex.clear();
        const durable = new Map(m.durable.map((d) => [d.streamId, d.seq]));
        for (const s of this.streams.values()) {
          const d = durable.get(s.streamId);
          if (d !== undefined) this.ack(s, d);
          // Replay everything not acked: from the first retained frame.
          s.sentSeq = (s.retained[0]?.seq ?? s.lastSeq + 1) - 1;
          s.index = undefined;
          s.endSent = false;
          this.startStream(s);
        }
        this.pump();
        return;
      }
      case 'ack': {
        const s = this.byIndex.get(m.streamIndex);
        const link = this.links.at(-1);
        if (link && link.firstAckAt === null) link.firstAckAt = Date.now();
        if (s) this.ack(s, m.seq);
        return;
      }
      case 'credit':
        this.credit += m.frames;
        this.pump();
        return;
      case 'error':
        this.lastError = `${m.code}: ${m.message}`;
        this.attemptError = true;
        this.log.warn('bridge error from worker', { callId: this.target.callId, code: m.code, fatal: m.fatal, message: m.message, scope });
        // A plain ERROR on a shared link is the link's; it refuses this session only if it answered our HELLO.
        if (REFUSALS.has(m.code) && (scope === 'session' || this.phase === 'hello')) {
          // Refused here: another worker of the pool may still take the session; stop only when every one refused.
          this.refused.add(this.current);
          if (this.refused.size >= this.addresses.length) {
            this.close();
            this.onLost(`worker refused the bridge: ${m.code}`);
          } else {
            this.dropChannel(this.lastError);
          }
        } else if (m.fatal) {
          this.dropChannel(this.lastError);
        }
        return;
      case 'goodbye':
        if (m.reason === 'recordingStopped' && scope === 'session') {
          // The worker discarded what it held; drop our un-acked frames too and stop sending.
          for (const s of this.streams.values()) s.retained = [];
          this.close();
        } else {
          // The session (or the whole link) ends here: resume as after any disconnect.
          this.dropChannel(`goodbye ${m.reason}: ${m.message}`);
        }
        return;
      default:
        return;
    }
  }

  private ack(s: StreamState, seq: number): void {
    if (seq <= s.ackedSeq) return;
    this.ackedFrames += seq - s.ackedSeq;
    s.ackedSeq = seq;
    const firstSeq = s.retained[0]?.seq;
    if (firstSeq !== undefined && seq >= firstSeq) s.retained.splice(0, Math.min(s.retained.length, seq - firstSeq + 1));
    for (const w of this.ackWaiters.splice(0)) w();
  }

  private startStream(s: StreamState): void {
    if (!this.channel) return;
    const idx = this.channel.bindIndex();
    s.index = idx;
    this.byIndex.set(idx, s);
    this.write({ type: 'streamStart', streamIndex: idx, streamId: s.streamId, kind: s.kind, format: 'pcm16k', sourceId: s.sourceId });
  }

  /** Queues pending frames on the link (it writes them with everyone else's at the end of the turn), round-robin over streams, while credit and the link allow. */
  private pump(): void {
    const ch = this.channel;
    if (this.phase !== 'open' || !ch) return;
    let progressed = true;
    while (progressed && this.credit > 0 && ch.canWrite()) {
      progressed = false;
      for (const s of this.streams.values()) {
        if (this.credit <= 0 || !ch.canWrite()) break;
        if (s.sentSeq >= s.lastSeq || s.index === undefined) continue;
        const first = s.retained[0];
        const f = first ? s.retained[s.sentSeq + 1 - first.seq] : undefined;
        if (!f) continue;
        ch.sendAudio({ streamIndex: s.index, seq: f.seq, timestamp: f.timestamp, flags: f.flags, activeSpeakers: f.speakers, payload: f.payload });
        this.credit--;
        s.sentSeq = f.seq;
        if (f.seq > s.maxSentSeq) {
          s.maxSentSeq = f.seq;
          s.hash.update(f.payload);
          s.frames++;
          s.bytes += f.payload.length;
          s.firstTs ??= f.timestamp;
          s.lastTs = f.timestamp;
        } else {
          this.replayedFrames++;
        }
        progressed = true;
      }
    }
    if (this.finishing) {
      for (const s of this.streams.values()) {
        if (!s.endSent && s.sentSeq >= s.lastSeq && s.index !== undefined) {
          this.write({ type: 'streamEnd', streamIndex: s.index, lastSeq: s.lastSeq, reason: 'callEnded' });
          s.endSent = true;
        }
      }
    }
  }

  private write(m: SessionMessage): void {
    this.channel?.send(m);
  }
}
