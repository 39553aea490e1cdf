// One call session on a bridge connection: HELLO → lookup/adoption → WELCOME, its streams, credit, acks, errors.
// On a dedicated connection the channel is the whole connection (protocol version 1); on a shared link it is one
// of many (channel forms of the messages, PROTOCOL.md "Shared links").
import {
  NO_SOURCE_ID,
  ProtocolError,
  SUPPORTED_VERSIONS,
  onChannel,
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

/** What a channel needs from the connection that carries it. */
export interface ChannelCarrier {
  readonly heartbeatIntervalMs: number;
  readonly creditFrames: number;
  readonly creditBatch: number;
  /** Queue a message for the connection's next coalesced write. */
  send(m: BridgeMessage): void;
  flush(): void;
  bindStream(index: number, channel: SessionChannel, stream: StreamIngest): void;
  unbindStream(index: number, channel: SessionChannel): void;
  /** The channel is done: a dedicated connection ends, a shared link forgets the channel. */
  release(channel: SessionChannel, endConnection: boolean): void;
  /** Replays a held frame body through the connection's dispatcher. */
  replay(body: Buffer): void;
}

export class SessionChannel implements BridgeLink {
  state: 'opening' | 'open' | 'closed' = 'opening';
  private session: Session | undefined;
  private readonly indexOf = new Map<string, number>();
  private readonly indexes = new Set<number>();
  /** Frames the bridge may still send on this channel. */
  private credit = 0;
  private toReturn = 0;
  /** Frames pipelined behind HELLO (copies of their bodies), handled once the session is recovered. */
  private held: Buffer[] = [];

  constructor(
    /** Channel number on a shared link; undefined on a dedicated connection. */
    readonly channel: number | undefined,
    private readonly carrier: ChannelCarrier,
    private readonly registry: SessionRegistry,
    private readonly events: MediaEventSink,
    private readonly log: Logger,
  ) {}

  hold(body: Buffer): void {
    this.held.push(body);
  }

  async open(m: HelloMessage): Promise<void> {
    if (!SUPPORTED_VERSIONS.includes(m.version)) return this.fail('unsupportedVersion', `worker speaks versions ${SUPPORTED_VERSIONS.join(', ')}`);
    if (this.channel !== undefined && m.version < 2) return this.fail('unsupportedVersion', 'shared links need version 2');
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
    if (previous && previous !== this && previous instanceof SessionChannel) previous.replaced();
    this.session = session;
    this.credit = this.carrier.creditFrames;
    this.state = 'open';
    this.send({ type: 'welcome', version: m.version, creditFrames: this.credit, heartbeatIntervalMs: this.carrier.heartbeatIntervalMs, durable: session.durablePoints() });
    this.events.emit({ type: 'bridgeReconnected', callId: session.record.callId, sessionId: session.id });
    session.linkOpened(m.resume, found.adopted);
    if (session.recordingStopped) this.goodbye('recordingStopped', 'recording is not allowed for this session');
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (this.state !== 'open') break;
      this.carrier.replay(h);
    }
  }

  /** A channel-scoped control message (STREAM_START, STREAM_END, GOODBYE, ERROR). */
  handle(m: BridgeMessage): void {
    switch (m.type) {
      case 'streamStart': {
        const session = this.session as Session;
        if (!STREAM_ID.test(m.streamId)) throw new ProtocolError('badFrame', 'streamId must match [A-Za-z0-9._-]{1,64}');
        const stream = session.openStream(m.streamId, m.kind, m.sourceId === NO_SOURCE_ID ? null : m.sourceId);
        this.carrier.bindStream(m.streamIndex, this, stream);
        this.indexes.add(m.streamIndex);
        this.indexOf.set(m.streamId, m.streamIndex);
        return;
      }
      case 'goodbye':
        this.log.info('bridge said goodbye', { reason: m.reason, channel: this.channel });
        this.close(true);
        return;
      case 'error':
        this.log.warn('bridge reported an error', { code: m.code, message: m.message, channel: this.channel });
        if (m.fatal) this.close(true);
        return;
      default:
        throw new ProtocolError('protocolState', `${m.type} is not a bridge-to-worker message`);
    }
  }

  streamEnded(index: number, stream: StreamIngest): void {
    this.carrier.unbindStream(index, this);
    this.indexes.delete(index);
    void stream.end().catch((err: unknown) => this.log.error('stream end failed', { streamId: stream.streamId, error: String(err) }));
  }

  /** The hot path: AUDIO read in place, payload copied once, straight into the stream's open chunk buffer. */
  onAudio(stream: StreamIngest, buf: Buffer, start: number, payloadStart: number): void {
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
    this.carrier.send({ type: 'ack', streamIndex: index, seq });
    this.returnCredit(); // credit rides along in the same write (one socket write per chunk, not one more per batch)
  }

  consumed(): void {
    if (this.state !== 'open') return;
    this.toReturn++;
    if (this.toReturn >= this.carrier.creditBatch) this.returnCredit();
  }

  private returnCredit(): void {
    if (this.toReturn === 0) return;
    this.credit += this.toReturn;
    this.send({ type: 'credit', frames: this.toReturn });
    this.toReturn = 0;
  }

  rebind(streamId: string, stream: StreamIngest): void {
    const index = this.indexOf.get(streamId);
    if (index !== undefined && this.indexes.has(index)) this.carrier.bindStream(index, this, stream);
  }

  goodbye(reason: 'callEnded' | 'recordingStopped', message: string): void {
    if (this.state === 'closed') return;
    this.send({ type: 'goodbye', reason, message });
    if (reason === 'callEnded') {
      this.carrier.flush();
      this.close(true);
    }
  }

  /** A newer HELLO for the session took over (on this connection or another). */
  replaced(): void {
    this.session = undefined;
    this.send({ type: 'goodbye', reason: 'migrating', message: 'a newer connection took over this session' });
    this.carrier.flush();
    this.close(true);
  }

  /** A session-level error: ERROR (on the channel) and the channel closes; a dedicated connection ends with it. */
  fail(code: ErrorCodeName, message: string): void {
    if (this.state === 'closed') return;
    this.log.warn('bridge protocol error', { code, message, channel: this.channel });
    this.send({ type: 'error', code, fatal: true, message });
    this.carrier.flush();
    this.close(true);
  }

  /**
   * The channel ends (its connection closed, or it was closed on purpose): its stream indexes are released and, if it
   * held the session's link, the session is disconnected.
   */
  close(endConnection: boolean): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.held = [];
    for (const index of this.indexes) this.carrier.unbindStream(index, this);
    this.indexes.clear();
    const session = this.session;
    if (session && session.link === this) {
      session.link = undefined;
      if (wasOpen && !session.closed) {
        this.events.emit({ type: 'bridgeDisconnected', callId: session.record.callId, sessionId: session.id, reason: 'connection closed' });
        session.linkClosed('connection closed');
      }
    }
    this.carrier.release(this, endConnection);
  }

  private send(m: BridgeMessage): void {
    this.carrier.send(onChannel(m, this.channel));
  }
}
