// One bridge TCP connection: HELLO/WELCOME, stream index mapping, credit, acks, heartbeats, errors.
import type { Socket } from 'node:net';
import {
  FrameSplitter,
  MessageType,
  NO_SOURCE_ID,
  PROTOCOL_VERSION,
  ProtocolError,
  audioPayloadStart,
  decodeBody,
  encodeMessage,
  type BridgeMessage,
  type ErrorCodeName,
  type HelloMessage,
} from '../../../contracts/bridge/index.js';
import type { MediaEventSink } from '../events/media-event-poster.js';
import type { StreamIngest } from '../ingest/stream-ingest.js';
import type { Logger } from '../log.js';
import type { BridgeLink, Session } from '../session/session.js';
import type { SessionRegistry } from '../session/session-registry.js';
import { lookupSession, type SessionLookup } from '../session/session-lookup.js';

const STREAM_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface BridgeConnectionOptions {
  creditFrames: number;
  heartbeatIntervalMs: number;
  /** Return credit to the bridge in batches of this many frames. */
  creditBatch: number;
}

export class BridgeConnection implements BridgeLink {
  /** Splits socket reads into frames in place (AUDIO is never turned into an object). */
  private readonly splitter = new FrameSplitter();
  private readonly frameHandler = (buf: Buffer, start: number, end: number): void => this.onFrame(buf, start, end);
  private state: 'awaitHello' | 'opening' | 'open' | 'closed' = 'awaitHello';
  private session: Session | undefined;
  private readonly byIndex = new Map<number, StreamIngest>();
  private readonly indexOf = new Map<string, number>();
  /** Frames the bridge may still send. */
  private credit = 0;
  private toReturn = 0;
  private lastHeard = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private pingNonce = 0n;
  /** Frames pipelined behind HELLO (copies of their bodies), handled once the session is recovered. */
  private held: Buffer[] = [];
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
    if (this.state === 'closed') return;
    if (this.state === 'opening') {
      this.held.push(Buffer.from(buf.subarray(start, end))); // wait until the session is recovered
      return;
    }
    if (buf[start] === MessageType.AUDIO && this.state === 'open') {
      try {
        this.onAudio(buf, start, end);
      } catch (err) {
        if (err instanceof ProtocolError) this.fail(err.code, err.message);
        else this.fail('internal', String(err));
      }
      return;
    }
    this.handle(decodeBody(buf, start, end)); // a bad body throws ProtocolError: onData fails the connection
  }

  private handle(m: BridgeMessage): void {
    try {
      if (this.state === 'awaitHello') {
        if (m.type !== 'hello') throw new ProtocolError('protocolState', `expected HELLO, got ${m.type}`);
        this.state = 'opening';
        void this.onHello(m);
        return;
      }
      switch (m.type) {
        case 'streamStart': {
          const session = this.session as Session;
          if (!STREAM_ID.test(m.streamId)) throw new ProtocolError('badFrame', 'streamId must match [A-Za-z0-9._-]{1,64}');
          const stream = session.openStream(m.streamId, m.kind, m.sourceId === NO_SOURCE_ID ? null : m.sourceId);
          this.byIndex.set(m.streamIndex, stream);
          this.indexOf.set(m.streamId, m.streamIndex);
          return;
        }
        case 'streamEnd': {
          const stream = this.byIndex.get(m.streamIndex);
          if (!stream) throw new ProtocolError('unknownStream', `no stream with index ${m.streamIndex}`);
          this.byIndex.delete(m.streamIndex);
          void stream.end().catch((err: unknown) => this.log.error('stream end failed', { streamId: stream.streamId, error: String(err) }));
          return;
        }
        case 'ping':
          this.send({ type: 'pong', nonce: m.nonce });
          return;
        case 'pong':
          return;
        case 'goodbye':
          this.log.info('bridge said goodbye', { reason: m.reason });
          this.socket.end();
          return;
        case 'error':
          this.log.warn('bridge reported an error', { code: m.code, message: m.message });
          if (m.fatal) this.socket.end();
          return;
        default:
          throw new ProtocolError('protocolState', `${m.type} is not a bridge-to-worker message`);
      }
    } catch (err) {
      if (err instanceof ProtocolError) this.fail(err.code, err.message);
      else this.fail('internal', String(err));
    }
  }

  private async onHello(m: HelloMessage): Promise<void> {
    if (m.version !== PROTOCOL_VERSION) return this.fail('unsupportedVersion', `worker speaks version ${PROTOCOL_VERSION}`);
    // Session lookup and adoption by ticket: session/session-lookup.ts.
    let found: SessionLookup;
    try {
      found = await lookupSession(this.registry, m, new Date());
    } catch (err) {
      return this.fail('internal', `cannot adopt the session: ${String(err)}`);
    }
    if (!found.ok) {
      this.log.warn('bridge HELLO rejected', { sessionId: m.sessionId, code: found.code, reason: found.message });
      return this.fail(found.code, found.message);
    }
    const session = found.session;
    if (session.closed) return this.fail('sessionClosed', `session is ${session.record.state}`);
    try {
      await session.ensureRecovered();
    } catch (err) {
      return this.fail('internal', `cannot read stored state: ${String(err)}`);
    }
    if (this.state === 'closed') return;
    const previous = session.link;
    session.link = this;
    if (previous && previous !== this && previous instanceof BridgeConnection) previous.replaced();
    this.session = session;
    this.credit = this.options.creditFrames;
    this.state = 'open';
    this.send({ type: 'welcome', version: PROTOCOL_VERSION, creditFrames: this.credit, heartbeatIntervalMs: this.options.heartbeatIntervalMs, durable: session.durablePoints() });
    this.events.emit({ type: 'bridgeReconnected', callId: session.record.callId, sessionId: session.id });
    session.linkOpened(m.resume, found.adopted);
    if (session.recordingStopped) this.goodbye('recordingStopped', 'recording is not allowed for this session');
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (this.state !== 'open') break;
      try {
        this.onFrame(h, 0, h.length);
      } catch (err) {
        this.fail(err instanceof ProtocolError ? err.code : 'badFrame', String(err instanceof Error ? err.message : err));
      }
    }
  }

  /** The hot path: AUDIO read in place, payload copied once, straight into the stream's open chunk buffer. */
  private onAudio(buf: Buffer, start: number, end: number): void {
    const payloadStart = audioPayloadStart(buf, start, end);
    const streamIndex = buf.readUInt16BE(start + 1);
    const stream = this.byIndex.get(streamIndex);
    if (!stream) throw new ProtocolError('unknownStream', `no stream with index ${streamIndex}`);
    if (stream.ended) throw new ProtocolError('sessionClosed', 'the stream was ended (session sealed or released)');
    if (this.credit <= 0) throw new ProtocolError('flowControl', 'AUDIO sent without credit');
    this.credit--;
    (this.session as Session).onFrame(stream.streamId);
    stream.addAudio(buf, start, payloadStart);
  }

  // BridgeLink
  ack(streamId: string, seq: number): void {
    const index = this.indexOf.get(streamId);
    if (index === undefined || this.state !== 'open') return;
    this.send({ type: 'ack', streamIndex: index, seq });
    this.returnCredit(); // credit rides along in the same write (one socket write per chunk, not one more per batch)
  }

  consumed(): void {
    if (this.state !== 'open') return;
    this.toReturn++;
    if (this.toReturn >= this.options.creditBatch) this.returnCredit();
  }

  private returnCredit(): void {
    if (this.toReturn === 0) return;
    this.credit += this.toReturn;
    this.send({ type: 'credit', frames: this.toReturn });
    this.toReturn = 0;
  }

  rebind(streamId: string, stream: StreamIngest): void {
    const index = this.indexOf.get(streamId);
    if (index !== undefined && this.byIndex.get(index)?.streamId === streamId) this.byIndex.set(index, stream);
  }

  goodbye(reason: 'callEnded' | 'recordingStopped', message: string): void {
    if (this.state === 'closed') return;
    this.send({ type: 'goodbye', reason, message });
    if (reason === 'callEnded') {
      this.flush();
      this.socket.end();
    }
  }

  private replaced(): void {
    this.session = undefined;
    this.send({ type: 'goodbye', reason: 'migrating', message: 'a newer connection took over this session' });
    this.flush();
    this.socket.end();
  }

  /** Outgoing frames are coalesced into one socket write per event-loop turn (acks, credit and pings are small). */
  private send(m: BridgeMessage): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.outbox.push(encodeMessage(m));
    if (this.outbox.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const out = this.outbox;
    this.outbox = [];
    if (out.length === 0 || this.socket.destroyed || !this.socket.writable) return;
    this.wroteSinceTick = true;
    this.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  }

  private fail(code: ErrorCodeName, message: string): void {
    if (this.state === 'closed') return;
    this.log.warn('bridge protocol error', { code, message });
    this.send({ type: 'error', code, fatal: true, message });
    this.flush();
    this.state = 'closed';
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private tick(): void {
    if (Date.now() - this.lastHeard > 3 * this.options.heartbeatIntervalMs) {
      this.log.warn('bridge heartbeat lost');
      this.socket.destroy();
      return;
    }
    // PING only when nothing else went out since the last tick (acks and credit are signs of life too): saves a
    // write per stream and interval, and the bridge's PONG.
    if (this.state === 'open' && !this.wroteSinceTick) this.send({ type: 'ping', nonce: ++this.pingNonce });
    this.wroteSinceTick = false;
  }

  private closed(): void {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (this.heartbeat) clearInterval(this.heartbeat);
    const session = this.session;
    if (session && session.link === this) {
      session.link = undefined;
      if (wasOpen && !session.closed) {
        this.events.emit({ type: 'bridgeDisconnected', callId: session.record.callId, sessionId: session.id, reason: 'connection closed' });
        session.linkClosed('connection closed');
      }
    }
    this.onClose(this);
  }

  close(): void {
    this.socket.destroy();
  }
}
