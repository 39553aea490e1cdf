// A small reference implementation of the bridge side (tests, bench, and a model for the C# bridge):
// keeps every un-acked frame, honours credit, and replays after a reconnect. A session uses a dedicated connection,
// or a channel on a shared link (`ReferenceBridgeLink`, protocol version 2).
import { connect, type Socket } from 'node:net';
import { ReferenceBridgeLink, type LinkChannel } from './reference-bridge-link.js';
import {
  FrameDecoder,
  NO_SOURCE_ID,
  PROTOCOL_VERSION,
  encodeMessage,
  type AudioMessage,
  type BridgeMessage,
  type ErrorMessage,
  type GoodbyeMessage,
  type StreamKindName,
  type WelcomeMessage,
} from '../../../contracts/bridge/index.js';

export interface BridgeClientOptions {
  host: string;
  port: number;
  sessionId: string;
  token: string;
  callId: string;
  /** Carry the session on this shared link instead of a dedicated connection. */
  link?: ReferenceBridgeLink;
}

interface StreamState {
  /** The index on the wire (on a shared link: allocated by the link, unique across its channels). */
  index: number;
  streamId: string;
  kind: StreamKindName;
  sourceId: number;
  acked: number;
  /** Highest seq written on the current connection. */
  sentThrough: number;
  unacked: Omit<AudioMessage, 'type' | 'streamIndex'>[];
  ended: number | undefined;
}

export class ReferenceBridgeClient {
  private socket: Socket | undefined;
  private channel: LinkChannel | undefined;
  private decoder = new FrameDecoder();
  private credit = 0;
  private readonly streams = new Map<string, StreamState>();
  private readonly byIndex = new Map<number, StreamState>();
  private creditWaiters: Array<() => void> = [];
  private ackWaiters: Array<() => void> = [];
  private welcomeResolve: ((w: WelcomeMessage) => void) | undefined;
  private welcomeReject: ((e: Error) => void) | undefined;
  readonly errors: ErrorMessage[] = [];
  readonly goodbyes: GoodbyeMessage[] = [];
  acksReceived = 0;
  connected = false;
  /** True once WELCOME arrived and the replay is done: new frames go straight out. */
  private ready = false;

  constructor(private readonly options: BridgeClientOptions) {}

  /** Connects (or reconnects), sends HELLO with the last acks, and on WELCOME replays what is not durable. */
  async connect(): Promise<WelcomeMessage> {
    if (this.options.link) await this.openChannel(this.options.link);
    else await this.openSocket();
    const welcome = new Promise<WelcomeMessage>((resolve, reject) => {
      this.welcomeResolve = resolve;
      this.welcomeReject = reject;
    });
    this.write({
      type: 'hello',
      version: PROTOCOL_VERSION,
      sessionId: this.options.sessionId,
      token: this.options.token,
      callId: this.options.callId,
      resume: [...this.streams.values()].map((s) => ({ streamId: s.streamId, seq: s.acked })),
    });
    const w = await welcome;
    this.credit = w.creditFrames;
    for (const d of w.durable) {
      const s = this.streams.get(d.streamId);
      if (s) this.applyAck(s, d.seq);
    }
    for (const s of this.streams.values()) {
      if (s.ended !== undefined && s.unacked.length === 0) continue;
      this.write({ type: 'streamStart', streamIndex: s.index, streamId: s.streamId, kind: s.kind, format: 'pcm16k', sourceId: s.sourceId });
      s.sentThrough = s.acked;
      // Replay in seq order; frames appended meanwhile are picked up by the same loop.
      for (;;) {
        const next = s.unacked.find((f) => f.seq > s.sentThrough);
        if (!next || !this.connected) break;
        await this.waitCredit();
        if (!this.connected) break;
        this.credit--;
        s.sentThrough = next.seq;
        this.write({ type: 'audio', streamIndex: s.index, ...next });
      }
      if (s.ended !== undefined && this.connected) this.write({ type: 'streamEnd', streamIndex: s.index, lastSeq: s.ended, reason: 'normal' });
    }
    this.ready = this.connected;
    return w;
  }

  private async openSocket(): Promise<void> {
    this.decoder = new FrameDecoder();
    const socket = connect({ host: this.options.host, port: this.options.port });
    socket.setNoDelay(true);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.connected = true;
    this.ready = false;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.lost();
    });
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.decoder.push(chunk)) this.onMessage(m);
    });
  }

  /** A channel on the shared link (the link connects once for all its sessions). */
  private async openChannel(link: ReferenceBridgeLink): Promise<void> {
    this.channel?.detach();
    const channel = await link.open({ onMessage: (m) => this.onMessage(m), onClosed: () => this.channel === channel && this.lost() });
    this.channel = channel;
    for (const s of this.streams.values()) {
      this.byIndex.delete(s.index);
      s.index = channel.streamIndex(s.streamId);
      this.byIndex.set(s.index, s);
    }
    this.connected = true;
    this.ready = false;
  }

  private lost(): void {
    this.connected = false;
    this.ready = false;
    this.welcomeReject?.(new Error(`connection closed before WELCOME${this.errors.length ? `: ${this.errors.at(-1)?.code}` : ''}`));
    this.wake();
  }

  /** `index` is the stream's index on a dedicated connection; a shared link allocates its own. */
  startStream(index: number, streamId: string, kind: StreamKindName = 'mixed', sourceId = NO_SOURCE_ID): void {
    if (this.channel) index = this.channel.streamIndex(streamId);
    const s: StreamState = { index, streamId, kind, sourceId, acked: 0, sentThrough: 0, unacked: [], ended: undefined };
    this.streams.set(streamId, s);
    this.byIndex.set(index, s);
    this.write({ type: 'streamStart', streamIndex: index, streamId, kind, format: 'pcm16k', sourceId });
  }

  /** Sends one frame (waits for credit); keeps it until acked. Copies nothing: do not reuse `payload`. */
  async send(streamId: string, frame: Omit<AudioMessage, 'type' | 'streamIndex'>): Promise<void> {
    const s = this.streams.get(streamId);
    if (!s) throw new Error(`unknown stream ${streamId}`);
    s.unacked.push(frame);
    if (!this.ready) return; // kept; the replay after (re)connecting sends it
    await this.waitCredit();
    if (!this.ready || frame.seq <= s.sentThrough) return;
    this.credit--;
    s.sentThrough = frame.seq;
    this.write({ type: 'audio', streamIndex: s.index, ...frame });
  }

  endStream(streamId: string): void {
    const s = this.streams.get(streamId);
    if (!s) throw new Error(`unknown stream ${streamId}`);
    s.ended = s.unacked.at(-1)?.seq ?? s.acked;
    if (this.ready) this.write({ type: 'streamEnd', streamIndex: s.index, lastSeq: s.ended, reason: 'normal' });
  }

  ackedSeq(streamId: string): number {
    return this.streams.get(streamId)?.acked ?? 0;
  }

  unackedCount(streamId: string): number {
    return this.streams.get(streamId)?.unacked.length ?? 0;
  }

  /** Resolves when `streamId` is acked through `seq`. */
  async waitAcked(streamId: string, seq: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.ackedSeq(streamId) < seq) {
      if (Date.now() > deadline) throw new Error(`stream ${streamId} acked ${this.ackedSeq(streamId)} < ${seq} after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.ackWaiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  goodbye(): void {
    this.write({ type: 'goodbye', reason: 'callEnded', message: '' });
  }

  /** Drops the connection (on a shared link: forgets the channel) without a goodbye (simulates a network failure). */
  drop(): void {
    this.connected = false;
    this.ready = false;
    this.socket?.destroy();
    this.channel?.detach();
    this.channel = undefined;
    this.wake();
  }

  close(): void {
    this.drop();
  }

  private onMessage(m: BridgeMessage): void {
    switch (m.type) {
      case 'welcome':
        this.welcomeResolve?.(m);
        this.welcomeResolve = undefined;
        this.welcomeReject = undefined;
        return;
      case 'credit':
        this.credit += m.frames;
        this.wake();
        return;
      case 'ack': {
        const s = this.byIndex.get(m.streamIndex);
        if (s) this.applyAck(s, m.seq);
        this.acksReceived++;
        const w = this.ackWaiters;
        this.ackWaiters = [];
        for (const f of w) f();
        return;
      }
      case 'ping':
        this.write({ type: 'pong', nonce: m.nonce });
        return;
      case 'error':
        this.errors.push(m);
        if (m.fatal) this.channelClosed(); // on a shared link a session error closes its channel only
        return;
      case 'goodbye':
        this.goodbyes.push(m);
        if (m.reason === 'callEnded' || m.reason === 'migrating') this.channelClosed();
        return;
      default:
        return;
    }
  }

  /** On a shared link the worker closed this session's channel: as a closed connection for a dedicated session. */
  private channelClosed(): void {
    if (!this.channel) return;
    this.channel.closed();
    this.channel = undefined;
    this.lost();
  }

  private applyAck(s: StreamState, seq: number): void {
    if (seq > s.acked) s.acked = seq;
    let drop = 0;
    while (drop < s.unacked.length && (s.unacked[drop]?.seq ?? Infinity) <= s.acked) drop++;
    if (drop > 0) s.unacked.splice(0, drop);
  }

  private waitCredit(): Promise<void> {
    if (this.credit > 0 || !this.connected) return Promise.resolve();
    return new Promise<void>((resolve) => this.creditWaiters.push(resolve)).then(() => this.waitCredit());
  }

  private wake(): void {
    const w = this.creditWaiters;
    this.creditWaiters = [];
    for (const f of w) f();
  }

  private write(m: BridgeMessage): void {
    if (this.channel) this.channel.write(m);
    else if (this.socket && !this.socket.destroyed) this.socket.write(encodeMessage(m));
  }
}
