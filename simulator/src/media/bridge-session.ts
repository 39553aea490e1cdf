// The bridge side of the media-bridge protocol (media-worker/PROTOCOL.md): one TCP connection per call leg, credit
// flow control, cumulative ACKs, un-acked frames kept and replayed after a reconnect, heartbeats, orderly end.
// When its worker is lost it moves the session to the alternates (same HELLO: session ticket + resume points).
import { connect, type Socket } from 'node:net';
import { createHash, type Hash } from 'node:crypto';
import {
  FrameDecoder, PROTOCOL_VERSION, encodeAudio, encodeMessage, type BridgeMessage, type StreamKindName,
} from '../../../contracts/bridge/index.js';
import type { Logger } from '../log.js';
import type { StreamTruth } from '../teams/media-hooks.js';

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
}

export const DEFAULT_BRIDGE_OPTIONS: BridgeSessionOptions = { giveUpMs: 15_000, maxBackoffMs: 5000, maxRetainFrames: 30_000, retriesPerWorker: 2 };

type Phase = 'connecting' | 'hello' | 'open' | 'closed' | 'stopped';

export class BridgeSession {
  private streams = new Map<string, StreamState>();
  private byIndex = new Map<number, StreamState>();
  private socket?: Socket;
  private phase: Phase = 'closed';
  private credit = 0;
  private heartbeatMs = 5000;
  private heartbeat?: NodeJS.Timeout;
  private lastRx = 0;
  private lastTx = 0;
  private backoffMs = 100;
  private disconnectedSince?: number;
  private writable = true;
  private finishing = false;
  private done = false;
  private ackWaiters: (() => void)[] = [];
  private readonly addresses: BridgeAddress[];
  private current = 0;
  private failuresHere = 0;
  /** Addresses that refused this session (authFailed, unknownSession, sessionClosed) since the last welcome. */
  private refused = new Set<number>();
  private pendingResume: Array<{ streamId: string; seq: number }> = [];
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
    if (this.phase === 'open') this.write(encodeMessage({ type: 'goodbye', reason: 'callEnded', message: 'call ended' }));
    this.close('stopped');
  }

  /** Simulates the media path dying (worker killed / network gone): close now, no reconnect. */
  kill(reason: string): void {
    this.lastError = reason;
    this.close('stopped');
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
    const addr = this.addresses[this.current] ?? { host: this.target.host, port: this.target.port };
    const sock = connect({ host: addr.host, port: addr.port, noDelay: true });
    this.socket = sock;
    const decoder = new FrameDecoder();
    sock.on('connect', () => {
      this.connects++;
      this.phase = 'hello';
      this.lastRx = Date.now();
      this.writable = true;
      this.pendingResume = [...this.streams.values()].map((s) => ({ streamId: s.streamId, seq: s.ackedSeq }));
      this.write(encodeMessage({
        type: 'hello', version: PROTOCOL_VERSION, sessionId: this.target.sessionId, token: this.target.token, callId: this.target.callId,
        resume: this.pendingResume,
      }));
    });
    sock.on('data', (chunk: Buffer) => {
      this.lastRx = Date.now();
      let msgs: BridgeMessage[];
      try {
        msgs = decoder.push(chunk);
      } catch (err) {
        this.lastError = String(err);
        sock.destroy();
        return;
      }
      for (const m of msgs) this.onMessage(m);
    });
    sock.on('drain', () => {
      this.writable = true;
      this.pump();
    });
    sock.on('error', (err) => {
      this.lastError = err.message;
    });
    sock.on('close', () => {
      if (this.socket !== sock) return;
      this.socket = undefined;
      if (this.heartbeat) clearInterval(this.heartbeat);
      if (this.phase === 'stopped' || this.done) return;
      if (this.phase === 'open') this.lostAt = Date.now();
      if (this.phase !== 'open') this.failuresHere++;
      this.phase = 'closed';
      this.disconnectedSince ??= Date.now();
      this.chooseNextAddress();
      if (Date.now() - this.disconnectedSince > this.o.giveUpMs) {
        this.close('stopped');
        this.onLost(`bridge unreachable for ${this.o.giveUpMs} ms: ${this.lastError ?? 'closed'}`);
        return;
      }
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs);
      setTimeout(() => this.open(), delay).unref();
    });
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

  private close(phase: 'stopped'): void {
    this.phase = phase;
    this.done = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    const s = this.socket;
    this.socket = undefined;
    s?.end();
    setTimeout(() => s?.destroy(), 1000).unref();
    for (const w of this.ackWaiters.splice(0)) w();
  }

  private onMessage(m: BridgeMessage): void {
    switch (m.type) {
      case 'welcome': {
        this.phase = 'open';
        this.failuresHere = 0;
        this.refused.clear();
        this.links.push({ address: this.address, welcomedAt: Date.now(), firstAckAt: null, durable: m.durable.map((d) => ({ ...d })), resume: this.pendingResume });
        this.credit = m.creditFrames;
        this.heartbeatMs = m.heartbeatIntervalMs || 5000;
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
        this.startHeartbeat();
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
      case 'ping':
        this.write(encodeMessage({ type: 'pong', nonce: m.nonce }));
        return;
      case 'error':
        this.lastError = `${m.code}: ${m.message}`;
        this.log.warn('bridge error from worker', { callId: this.target.callId, code: m.code, fatal: m.fatal, message: m.message });
        if (['authFailed', 'unknownSession', 'sessionClosed', 'unsupportedVersion'].includes(m.code)) {
          // Refused here: another worker of the pool may still take the session; stop only when every one refused.
          this.refused.add(this.current);
          if (this.refused.size >= this.addresses.length) {
            this.close('stopped');
            this.onLost(`worker refused the bridge: ${m.code}`);
          } else {
            this.socket?.destroy();
          }
        } else if (m.fatal) {
          this.socket?.destroy();
        }
        return;
      case 'goodbye':
        if (m.reason === 'recordingStopped') {
          // The worker discarded what it held; drop our un-acked frames too and stop sending.
          for (const s of this.streams.values()) s.retained = [];
          this.close('stopped');
        } else if (m.reason === 'shuttingDown' || m.reason === 'migrating') {
          this.socket?.destroy();
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
    let idx = 0;
    while ([...this.byIndex.keys()].includes(idx)) idx++;
    s.index = idx;
    this.byIndex.set(idx, s);
    this.write(encodeMessage({ type: 'streamStart', streamIndex: idx, streamId: s.streamId, kind: s.kind, format: 'pcm16k', sourceId: s.sourceId }));
  }

  private startHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      if (now - this.lastRx > 3 * this.heartbeatMs) {
        this.lastError = 'heartbeat timeout';
        this.socket?.destroy();
        return;
      }
      if (now - this.lastTx >= this.heartbeatMs) this.write(encodeMessage({ type: 'ping', nonce: BigInt(now) }));
    }, Math.max(100, Math.floor(this.heartbeatMs / 2)));
    this.heartbeat.unref();
  }

  /** Sends pending frames, round-robin over streams, while credit and the socket allow. */
  private pump(): void {
    if (this.phase !== 'open' || !this.socket) return;
    const sock = this.socket;
    sock.cork();
    try {
      let progressed = true;
      while (progressed && this.credit > 0 && this.writable) {
        progressed = false;
        for (const s of this.streams.values()) {
          if (this.credit <= 0 || !this.writable) break;
          if (s.sentSeq >= s.lastSeq || s.index === undefined) continue;
          const first = s.retained[0];
          const f = first ? s.retained[s.sentSeq + 1 - first.seq] : undefined;
          if (!f) continue;
          this.write(encodeAudio({ streamIndex: s.index, seq: f.seq, timestamp: f.timestamp, flags: f.flags, activeSpeakers: f.speakers, payload: f.payload }));
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
            this.write(encodeMessage({ type: 'streamEnd', streamIndex: s.index, lastSeq: s.lastSeq, reason: 'callEnded' }));
            s.endSent = true;
          }
        }
      }
    } finally {
      sock.uncork();
    }
  }

  private write(buf: Buffer): void {
    if (!this.socket) return;
    this.lastTx = Date.now();
    if (!this.socket.write(buf)) this.writable = false;
  }
}
