// One TCP connection from the bridge to a worker's bridge port (media-worker/PROTOCOL.md): a shared link (version 2,
// many sessions on channels) or a dedicated connection (one session, no channel forms). Everything written in one
// event-loop turn, for every session on the link, goes out in one socket write. Incoming WELCOME/CREDIT/ERROR/GOODBYE
// are routed by channel, ACK by stream index (unique per link); PING/PONG and the heartbeat belong to the link.
import { connect, type Socket } from 'node:net';
import { FrameDecoder, encodeAudio, encodeMessage, onChannel, type AudioMessage, type BridgeMessage } from '../../../contracts/bridge/index.js';

export type LinkMode = 'shared' | 'dedicated';
/** `session`: meant for this session (its channel, or a dedicated connection); `link`: a plain ERROR/GOODBYE ending a shared link. */
export type MessageScope = 'session' | 'link';
/** Messages a session sends (the link adds the channel where the message has a channel form). */
export type SessionMessage = Exclude<BridgeMessage, { type: 'ping' | 'pong' | 'ack' | 'credit' | 'welcome' }>;

export interface ChannelHandlers {
  /** The connection is up: say HELLO. */
  onReady(): void;
  onMessage(m: BridgeMessage, scope: MessageScope): void;
  /** The link takes frames again after it pushed back. */
  onDrain(): void;
  /** The channel (or the dedicated connection) is gone for good; called once. */
  onClosed(reason: string): void;
}

export interface BridgeLinkOptions {
  /** Bytes queued (this turn's and what the socket has not handed to the kernel) above which sessions wait for room. */
  maxBufferedBytes: number;
  /** Heartbeat before any WELCOME named one. */
  defaultHeartbeatMs: number;
}

export const DEFAULT_LINK_OPTIONS: BridgeLinkOptions = { maxBufferedBytes: 4 * 1024 * 1024, defaultHeartbeatMs: 5000 };

/** Plain errors by which a peer without shared links answers a channel HELLO (before any channel was welcomed). */
const LEGACY_REFUSALS = new Set(['badFrame', 'protocolState', 'unsupportedVersion']);

/** A session's handle on a link: its channel on a shared link, or the whole dedicated connection. */
export class LinkChannel {
  open = true;
  readonly indexes = new Set<number>();
  private saidGoodbye = false;

  constructor(
    readonly link: BridgeLink,
    /** Undefined on a dedicated connection. */
    readonly channel: number | undefined,
    readonly handlers: ChannelHandlers,
  ) {}

  send(m: SessionMessage): void {
    if (!this.open) return;
    if (m.type === 'goodbye' || m.type === 'error') this.saidGoodbye = true;
    const framed = onChannel(m, this.channel);
    this.link.enqueue(encodeMessage(framed));
  }

  sendAudio(m: Omit<AudioMessage, 'type'>): void {
    if (this.open) this.link.enqueue(encodeAudio(m));
  }

  /** Whether the link takes more frames now (false: wait for onDrain). */
  canWrite(): boolean {
    return this.open && this.link.canWrite();
  }

  /** Binds a stream index, unique on the link, to this session. */
  bindIndex(): number {
    return this.link.bindIndex(this);
  }

  /** Orderly end: a shared link forgets the channel (after a GOODBYE on it, if the session did not say one), a dedicated one ends. */
  leave(reason = 'left'): void {
    if (this.channel !== undefined && !this.saidGoodbye) this.send({ type: 'goodbye', reason: 'normal', message: reason });
    this.link.closeChannel(this, reason, 'end');
  }

  /** The worker already closed this session (its ERROR or GOODBYE): forget it without a word. */
  abort(reason: string): void {
    this.link.closeChannel(this, reason, 'destroy');
  }

  /** Drops the media path of this session only (a killed worker, seen from the bridge): ERROR on its channel. */
  drop(reason: string): void {
    if (this.open && this.channel !== undefined) this.send({ type: 'error', code: 'internal', fatal: true, message: reason });
    this.link.closeChannel(this, reason, 'end');
  }
}

export class BridgeLink {
  state: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  private readonly socket: Socket;
  private readonly channels = new Map<number, LinkChannel>();
  private readonly indexOwner = new Map<number, LinkChannel>();
  private nextChannel = 0;
  private nextIndex = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private starved = false;
  private drainFrom = 0;
  private heartbeatMs?: number;
  private heartbeat?: NodeJS.Timeout;
  private lastRx = Date.now();
  private lastTx = 0;
  private lastError?: string;
  /** A channel of this link was welcomed (the peer speaks shared links). */
  private welcomedAny = false;
  /** Set when the peer answered a channel HELLO as if there were no channels (a worker without shared links). */
  noChannels = false;
  /** Socket writes issued (each carries every frame queued during one turn). */
  writes = 0;
  framesWritten = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly mode: LinkMode,
    private readonly onGone: (link: BridgeLink) => void,
    private readonly o: BridgeLinkOptions = DEFAULT_LINK_OPTIONS,
  ) {
    const sock = connect({ host, port, noDelay: true });
    this.socket = sock;
    const decoder = new FrameDecoder();
    sock.on('connect', () => {
      if (this.state !== 'connecting') return;
      this.state = 'open';
      this.lastRx = Date.now();
      for (const ch of [...this.channels.values()]) if (ch.open) ch.handlers.onReady();
      this.flush();
    });
    sock.on('data', (chunk: Buffer) => {
      this.lastRx = Date.now();
      let msgs: BridgeMessage[];
      try {
        msgs = decoder.push(chunk);
      } catch (err) {
        this.lastError = `undecodable frame from worker: ${String(err)}`;
        sock.destroy();
        return;
      }
      for (const m of msgs) {
        if (this.state === 'closed') return;
        this.route(m);
      }
    });
    sock.on('drain', () => this.flush());
    sock.on('error', (err) => {
      this.lastError ??= err.message;
    });
    sock.on('close', () => this.closed(this.lastError ?? 'connection closed'));
  }

  get address(): string {
    return `tcp://${this.host}:${this.port}`;
  }

  /** Channels open on the link. */
  get sessionCount(): number {
    return this.channels.size;
  }

  /** Whether the pool may hand this link to another session. */
  get accepting(): boolean {
    return this.mode === 'shared' && (this.state === 'connecting' || this.state === 'open') && this.channels.size < 0x10000;
  }

  attach(handlers: ChannelHandlers): LinkChannel {
    if (this.mode === 'dedicated' && this.channels.size > 0) throw new Error('a dedicated connection carries one session');
    const channel = this.mode === 'shared' ? this.freeNumber(this.channels, () => this.nextChannel++) : 0;
    const ch = new LinkChannel(this, this.mode === 'shared' ? channel : undefined, handlers);
    this.channels.set(channel, ch);
    if (this.state === 'open') {
      queueMicrotask(() => {
        if (ch.open) ch.handlers.onReady();
      });
    }
    return ch;
  }

  bindIndex(ch: LinkChannel): number {
    const idx = this.freeNumber(this.indexOwner, () => this.nextIndex++);
    this.indexOwner.set(idx, ch);
    ch.indexes.add(idx);
    return idx;
  }

  /**
   * Numbers go round (not lowest-free) so one just released is not bound again while the worker may still send
   * CREDIT or ACK for its old owner.
   */
  private freeNumber(used: Map<number, unknown>, next: () => number): number {
    for (let i = 0; i < 0x10000; i++) {
      const n = next() & 0xffff;
      if (!used.has(n)) return n;
    }
    throw new Error('no free number on the link');
  }

  canWrite(): boolean {
    const ok = (this.state === 'open' || this.state === 'connecting') && this.buffered() < this.o.maxBufferedBytes;
    if (!ok) this.starved = true;
    return ok;
  }

  /** Bytes not yet handed to the kernel: queued for this turn's write plus what the socket still holds. */
  private buffered(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  enqueue(buf: Buffer): void {
    if (this.state === 'closed') return;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.lastTx = Date.now();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** One socket write for everything queued; then, if sessions were held back and the socket has room, let them go. */
  private flush(): void {
    if (this.state === 'connecting' || this.state === 'closed') return;
    if (this.pending.length > 0) {
      const buf = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
      this.framesWritten += this.pending.length;
      this.pending = [];
      this.pendingBytes = 0;
      this.writes++;
      this.socket.write(buf); // above the socket's high-water mark it answers false and 'drain' follows; canWrite() bounds what waits
    }
    if (this.state === 'closing' && this.pending.length === 0) {
      this.socket.end();
      return;
    }
    if (this.starved && this.buffered() < this.o.maxBufferedBytes) {
      this.starved = false;
      // Rotate who goes first so one busy session does not take the room every time.
      const list = [...this.channels.values()];
      const from = this.drainFrom++ % Math.max(1, list.length);
      for (let i = 0; i < list.length; i++) {
        const ch = list[(from + i) % list.length];
        if (ch?.open) ch.handlers.onDrain();
      }
    }
  }

  private route(m: BridgeMessage): void {
    switch (m.type) {
      case 'ping':
        this.enqueue(encodeMessage({ type: 'pong', nonce: m.nonce }));
        return;
      case 'pong':
        return;
      case 'ack': {
        const ch = this.indexOwner.get(m.streamIndex);
        if (ch?.open) ch.handlers.onMessage(m, 'session');
        return;
      }
      default:
        break;
    }
    if (this.mode === 'dedicated') {
      const ch = this.channels.get(0);
      if (m.type === 'welcome') this.useHeartbeat(m.heartbeatIntervalMs);
      if (ch?.open) ch.handlers.onMessage(m, 'session');
      if ((m.type === 'error' && m.fatal) || m.type === 'goodbye') this.destroy(m.type === 'error' ? `${m.code}: ${m.message}` : `goodbye ${m.reason}`);
      return;
    }
    const channel = 'channel' in m ? m.channel : undefined;
    if (channel === undefined) {
      if (!this.welcomedAny && (m.type === 'welcome' || (m.type === 'error' && LEGACY_REFUSALS.has(m.code)))) {
        // The peer does not speak shared links: the pool will use dedicated connections to it for a while.
        this.noChannels = true;
        this.destroy(`worker does not speak shared links (answered ${m.type === 'error' ? m.code : 'WELCOME'} without a channel)`);
        return;
      }
      // A plain message on a shared link is about the whole link.
      if (m.type === 'error' || m.type === 'goodbye') {
        const reason = m.type === 'error' ? `link error ${m.code}: ${m.message}` : `link goodbye ${m.reason}`;
        for (const ch of [...this.channels.values()]) if (ch.open) ch.handlers.onMessage(m, 'link');
        if (m.type === 'goodbye' || m.fatal) this.destroy(reason);
        return;
      }
      this.destroy(`worker sent ${m.type} without a channel on a shared link`);
      return;
    }
    const ch = this.channels.get(channel);
    if (!ch?.open) return; // a channel this bridge already left: late messages are harmless
    if (m.type === 'welcome') {
      this.welcomedAny = true;
      this.useHeartbeat(m.heartbeatIntervalMs);
    }
    ch.handlers.onMessage(m, 'session');
    if ((m.type === 'error' && m.fatal) || m.type === 'goodbye') {
      this.closeChannel(ch, m.type === 'error' ? `${m.code}: ${m.message}` : `goodbye ${m.reason}`, 'destroy');
    }
  }

  /** Starts (or tightens) the link's heartbeat: PING when idle for an interval, dead after 3 silent intervals. */
  private useHeartbeat(ms: number): void {
    const interval = ms > 0 ? ms : this.o.defaultHeartbeatMs;
    if (this.heartbeatMs !== undefined && this.heartbeatMs <= interval) return;
    this.heartbeatMs = interval;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      if (now - this.lastRx > 3 * interval) {
        this.lastError = 'heartbeat timeout';
        this.destroy('heartbeat timeout');
        return;
      }
      if (now - this.lastTx >= interval) this.enqueue(encodeMessage({ type: 'ping', nonce: BigInt(now) }));
    }, Math.max(100, Math.floor(interval / 2)));
    this.heartbeat.unref();
  }

  /**
   * Forgets a channel and its stream indexes, then tells its session. `end`: a dedicated connection is ended
   * gracefully after what is queued; `destroy`: it is cut. A shared link closes when its last channel is gone.
   */
  closeChannel(ch: LinkChannel, reason: string, how: 'end' | 'destroy'): void {
    if (!ch.open) return;
    ch.open = false;
    if (this.channels.get(ch.channel ?? 0) === ch) this.channels.delete(ch.channel ?? 0);
    for (const idx of ch.indexes) if (this.indexOwner.get(idx) === ch) this.indexOwner.delete(idx);
    ch.indexes.clear();
    ch.handlers.onClosed(reason);
    if (this.channels.size > 0 || this.state === 'closed' || this.state === 'closing') return;
    if (this.mode === 'dedicated' && how === 'destroy') {
      this.destroy(reason);
      return;
    }
    if (this.mode === 'shared' && this.state === 'open') this.enqueue(encodeMessage({ type: 'goodbye', reason: 'normal', message: 'no sessions left on the link' }));
    this.beginClosing();
  }

  private beginClosing(): void {
    if (this.state === 'connecting') {
      this.destroy('no sessions left');
      return;
    }
    this.state = 'closing';
    this.onGone(this);
    this.flush();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Cuts the connection now; every session on it is disconnected. */
  destroy(reason: string): void {
    this.lastError ??= reason;
    this.socket.destroy();
    this.closed(reason);
  }

  private closed(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.pending = [];
    this.pendingBytes = 0;
    this.onGone(this);
    for (const ch of [...this.channels.values()]) {
      if (!ch.open) continue;
      ch.open = false;
      ch.indexes.clear();
      ch.handlers.onClosed(reason);
    }
    this.channels.clear();
    this.indexOwner.clear();
  }
}
