// One bridge TCP connection: frames split in place, AUDIO routed by stream index, control routed to the session's
// channel, heartbeats, one coalesced socket write per turn. Dedicated (one session, protocol version 1 style) or a
// shared link (many sessions on channels, version 2; PROTOCOL.md "Shared links").
import type { Socket } from 'node:net';
import {
  FrameSplitter,
  MessageType,
  ProtocolError,
  audioPayloadStart,
  decodeBody,
  encodeMessage,
  type BridgeMessage,
  type ErrorCodeName,
} from '../../../contracts/bridge/index.js';
import type { MediaEventSink } from '../events/media-event-poster.js';
import type { StreamIngest } from '../ingest/stream-ingest.js';
import type { Logger } from '../log.js';
import type { SessionRegistry } from '../session/session-registry.js';
import { SessionChannel, type ChannelCarrier } from './session-channel.js';

export interface BridgeConnectionOptions {
  creditFrames: number;
  heartbeatIntervalMs: number;
  /** Return credit to the bridge in batches of this many frames. */
  creditBatch: number;
}

interface BoundStream {
  channel: SessionChannel;
  stream: StreamIngest;
}

export class BridgeConnection implements ChannelCarrier {
  /** Splits socket reads into frames in place (AUDIO is never turned into an object). */
  private readonly splitter = new FrameSplitter();
  private readonly frameHandler = (buf: Buffer, start: number, end: number): void => this.onFrame(buf, start, end);
  private mode: 'awaitHello' | 'dedicated' | 'shared' | 'closed' = 'awaitHello';
  /** The session of a dedicated connection. */
  private solo: SessionChannel | undefined;
  private readonly channels = new Map<number, SessionChannel>();
  /** Channels of this link that closed (their late frames are dropped, not errors) until a HELLO reopens them. */
  private readonly closedChannels = new Set<number>();
  private readonly streams = new Map<number, BoundStream>();
  /** Stream indexes whose STREAM_START is held by a channel still opening: their frames are held with it. */
  private readonly pendingIndexes = new Map<number, SessionChannel>();
  /** Indexes of closed channels: AUDIO still in flight for them is dropped until the index is bound again. */
  private readonly retiredIndexes = new Set<number>();
  private lastHeard = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private pingNonce = 0n;
  private outbox: Buffer[] = [];
  private wroteSinceTick = false;

  constructor(
    private readonly socket: Socket,
    private readonly registry: SessionRegistry,
    private readonly events: MediaEventSink,
    private readonly options: BridgeConnectionOptions,
    private readonly log: Logger,
    private readonly onClose: (c: BridgeConnection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.warn('bridge socket error', { error: err.message }));
    socket.on('close', () => this.closed());
    this.heartbeat = setInterval(() => this.tick(), options.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get heartbeatIntervalMs(): number {
    return this.options.heartbeatIntervalMs;
  }
  get creditFrames(): number {
    return this.options.creditFrames;
  }
  get creditBatch(): number {
    return this.options.creditBatch;
  }

  private onData(chunk: Buffer): void {
    this.lastHeard = Date.now();
    try {
      this.splitter.push(chunk, this.frameHandler);
    } catch (err) {
      this.fail(err instanceof ProtocolError ? err.code : 'badFrame', String(err instanceof Error ? err.message : err));
    }
  }

  /** One frame body, in place (`buf` is the socket read or the splitter's scratch: nothing may keep a view of it). */
  private onFrame(buf: Buffer, start: number, end: number): void {
    if (this.mode === 'closed' || this.solo?.state === 'closed') return;
    if (this.solo?.state === 'opening') {
      this.solo.hold(Buffer.from(buf.subarray(start, end))); // a dedicated session: wait until it is recovered
      return;
    }
    const type = buf[start];
    if (type === MessageType.AUDIO || type === MessageType.STREAM_END) {
      this.onStreamFrame(buf, start, end, type);
      return;
    }
    const m = decodeBody(buf, start, end); // a bad body throws ProtocolError: onData fails the connection
    if (m.type === 'hello') return this.onHello(m);
    if (this.mode === 'awaitHello') throw new ProtocolError('protocolState', `expected HELLO, got ${m.type}`);
    if (m.type === 'ping') return this.send({ type: 'pong', nonce: m.nonce });
    if (m.type === 'pong') return;
    const channel = 'channel' in m ? m.channel : undefined;
    if (channel === undefined) return this.onLinkMessage(m);
    if (this.mode !== 'shared') throw new ProtocolError('protocolState', 'channel forms are for shared links only');
    const c = this.channels.get(channel);
    if (!c) {
      if (this.closedChannels.has(channel)) return; // late frame of a channel that closed
      throw new ProtocolError('protocolState', `channel ${channel} was never opened`);
    }
    if (c.state === 'opening') {
      if (m.type === 'streamStart') this.pendingIndexes.set(m.streamIndex, c);
      c.hold(Buffer.from(buf.subarray(start, end)));
      return;
    }
    this.onChannelMessage(c, m);
  }

  /** A message without channel: the dedicated connection's session, or the shared link itself. */
  private onLinkMessage(m: BridgeMessage): void {
    if (this.mode === 'dedicated') return this.onChannelMessage(this.solo as SessionChannel, m);
    if (m.type === 'goodbye') {
      this.log.info('bridge closed the shared link', { reason: m.reason });
      this.socket.end();
      return;
    }
    if (m.type === 'error') {
      this.log.warn('bridge reported a link error', { code: m.code, message: m.message });
      if (m.fatal) this.socket.end();
      return;
    }
    throw new ProtocolError('protocolState', `${m.type} needs its channel form on a shared link`);
  }

  private onChannelMessage(c: SessionChannel, m: BridgeMessage): void {
    if (c.state !== 'open') return;
    try {
      c.handle(m);
    } catch (err) {
      if (this.mode === 'shared' && err instanceof ProtocolError && err.code !== 'badFrame') c.fail(err.code, err.message);
      else throw err;
    }
  }

  private onHello(m: Extract<BridgeMessage, { type: 'hello' }>): void {
    let c: SessionChannel;
    if (m.channel === undefined) {
      if (this.mode !== 'awaitHello') throw new ProtocolError('protocolState', 'a connection carries one HELLO without channel');
      this.mode = 'dedicated';
      c = this.solo = new SessionChannel(undefined, this, this.registry, this.events, this.log);
    } else {
      if (this.mode === 'dedicated') throw new ProtocolError('protocolState', 'a dedicated connection cannot open channels');
      if (this.channels.has(m.channel)) throw new ProtocolError('protocolState', `channel ${m.channel} is already open`);
      this.mode = 'shared';
      this.closedChannels.delete(m.channel);
      c = new SessionChannel(m.channel, this, this.registry, this.events, this.log.child({ channel: m.channel }));
      this.channels.set(m.channel, c);
    }
    void c.open(m);
  }

  /** AUDIO and STREAM_END name their stream by index. */
  private onStreamFrame(buf: Buffer, start: number, end: number, type: number): void {
    if (this.mode === 'awaitHello') throw new ProtocolError('protocolState', 'expected HELLO first');
    const index = buf.readUInt16BE(start + 1);
    const bound = this.streams.get(index);
    if (!bound) {
      const pending = this.pendingIndexes.get(index);
      if (pending) return pending.hold(Buffer.from(buf.subarray(start, end)));
      if (this.retiredIndexes.has(index)) return; // its channel closed: frames in flight are dropped
      if (this.solo) return this.solo.fail('unknownStream', `no stream with index ${index}`);
      throw new ProtocolError('unknownStream', `no stream with index ${index}`);
    }
    try {
      if (type === MessageType.AUDIO) {
        bound.channel.onAudio(bound.stream, buf, start, audioPayloadStart(buf, start, end));
      } else {
        decodeBody(buf, start, end); // validates the body
        bound.channel.streamEnded(index, bound.stream);
      }
    } catch (err) {
      if (err instanceof ProtocolError && err.code !== 'badFrame') bound.channel.fail(err.code, err.message);
      else if (err instanceof ProtocolError) throw err;
      else bound.channel.fail('internal', String(err));
    }
  }

  // ChannelCarrier
  bindStream(index: number, channel: SessionChannel, stream: StreamIngest): void {
    const other = this.streams.get(index);
    if (other && other.channel !== channel) throw new ProtocolError('protocolState', `stream index ${index} is in use by another channel`);
    this.pendingIndexes.delete(index);
    this.retiredIndexes.delete(index);
    this.streams.set(index, { channel, stream });
  }

  unbindStream(index: number, channel: SessionChannel): void {
    if (this.streams.get(index)?.channel === channel) this.streams.delete(index);
    if (channel.state === 'closed' && this.mode === 'shared') this.retiredIndexes.add(index);
  }

  release(channel: SessionChannel, endConnection: boolean): void {
    for (const [index, c] of this.pendingIndexes) {
      if (c !== channel) continue;
      this.pendingIndexes.delete(index);
      this.retiredIndexes.add(index);
    }
    if (channel.channel === undefined) {
      if (endConnection && this.mode !== 'closed') {
        this.flush();
        this.socket.end();
        setTimeout(() => this.socket.destroy(), 1000).unref();
      }
      return;
    }
    if (this.channels.get(channel.channel) === channel) {
      this.channels.delete(channel.channel);
      this.closedChannels.add(channel.channel);
    }
  }

  replay(body: Buffer): void {
    try {
      this.onFrame(body, 0, body.length);
    } catch (err) {
      this.fail(err instanceof ProtocolError ? err.code : 'badFrame', String(err instanceof Error ? err.message : err));
    }
  }

  /** Outgoing frames are coalesced into one socket write per event-loop turn (acks, credit and pings are small). */
  send(m: BridgeMessage): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.outbox.push(encodeMessage(m));
    if (this.outbox.length === 1) setImmediate(() => this.flush());
  }

  flush(): void {
    const out = this.outbox;
    this.outbox = [];
    if (out.length === 0 || this.socket.destroyed || !this.socket.writable) return;
    this.wroteSinceTick = true;
    this.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  }

  /** A link error: plain ERROR, and the connection ends with every session on it. */
  private fail(code: ErrorCodeName, message: string): void {
    if (this.mode === 'closed') return;
    if (this.solo && this.solo.state !== 'closed') return this.solo.fail(code, message);
    this.log.warn('bridge protocol error', { code, message });
    this.send({ type: 'error', code, fatal: true, message });
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.closed();
  }

  private tick(): void {
    if (Date.now() - this.lastHeard > 3 * this.options.heartbeatIntervalMs) {
      this.log.warn('bridge heartbeat lost');
      this.socket.destroy();
      return;
    }
    // PING only when nothing else went out since the last tick (acks and credit are signs of life too): saves a
    // write per interval, and the bridge's PONG.
    const open = this.solo?.state === 'open' || this.channels.size > 0;
    if (open && !this.wroteSinceTick) this.send({ type: 'ping', nonce: ++this.pingNonce });
    this.wroteSinceTick = false;
  }

  private closed(): void {
    if (this.mode === 'closed' && this.heartbeat === undefined) return;
    this.mode = 'closed';
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.solo?.close(false);
    for (const c of [...this.channels.values()]) c.close(false);
    this.onClose(this);
  }

  close(): void {
    this.socket.destroy();
  }
}
