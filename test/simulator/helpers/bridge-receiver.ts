// A test bridge receiver (plays the media-worker's bridge port): HELLO/WELCOME on dedicated connections and on the
// channels of shared links, credit per session, cumulative ACKs, de-dup by (streamId, seq), an optional one-time
// connection drop, and SHA-256 of each stream's payloads in seq order.
import { createServer, type Server, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { FrameDecoder, encodeMessage, encodeLocalMediaConfig, type BridgeMessage } from '../../../contracts/bridge/index.js';

export interface ReceiverOptions {
  ackEvery?: number;
  credit?: number;
  /** Destroy the first connection after this many AUDIO frames (acks stop at the last multiple of ackEvery). */
  dropAfterFrames?: number;
  /** Sessions this receiver refuses (ERROR authFailed, on the channel when the HELLO came on one). */
  refuseSessions?: string[];
  /** Play a worker without shared links: channels are ignored and every answer is plain (as version 1 would). */
  noChannels?: boolean;
  /** Heartbeat interval announced in WELCOME (default 5,000 ms). */
  heartbeatIntervalMs?: number;
}

interface StreamData {
  frames: Map<number, Buffer>;
  durable: number;
  speakers: Set<number>;
}

export interface BridgeReceiver {
  port: number;
  blobFor(sessionId: string): string;
  streams(sessionId: string): Map<string, StreamData>;
  hash(sessionId: string, streamId: string): { sha256: string; frames: number; contiguous: boolean };
  connections: number;
  /** HELLOs that came on a channel (shared links). */
  channelHellos: number;
  /** Connections open now. */
  openConnections: number;
  duplicatesDropped: number;
  /** Cuts every open connection (a link killed mid-call). */
  dropAll(): void;
  /** The open connections go silent (read nothing, answer nothing, stay open); new ones work as before. */
  freezeAll(): void;
  /** Sends GOODBYE to one session on the channel (or dedicated connection) it is on now, and forgets that channel. */
  goodbye(sessionId: string, reason: 'callEnded' | 'shuttingDown' | 'migrating' | 'recordingStopped'): boolean;
  close(): Promise<void>;
}

const TOKEN = 'test-bridge-token-0123456789';

export async function startBridgeReceiver(o: ReceiverOptions = {}): Promise<BridgeReceiver> {
  const ackEvery = o.ackEvery ?? 50;
  const sessions = new Map<string, Map<string, StreamData>>();
  const sockets = new Set<Socket>();
  let dropArmed = o.dropAfterFrames !== undefined;
  const r = { connections: 0, duplicatesDropped: 0, channelHellos: 0 };

  const frozen = new WeakSet<Socket>();
  // Where each session is now: its connection and channel (for goodbye()).
  const whereIs = new Map<string, { sock: Socket; channel: number | undefined; forget: () => void }>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    r.connections++;
    const decoder = new FrameDecoder();
    // Per channel (a dedicated connection is channel undefined): the session's streams and credit to return.
    const channels = new Map<number | undefined, { session: Map<string, StreamData>; sinceCredit: number }>();
    const byIndex = new Map<number, { channel: number | undefined; streamId: string }>();
    let received = 0;
    const send = (m: BridgeMessage): void => {
      if (!sock.destroyed) sock.write(encodeMessage(m));
    };
    sock.on('data', (chunk: Buffer) => {
      let msgs: BridgeMessage[];
      try {
        msgs = decoder.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      for (const m of msgs) {
        if (sock.destroyed || frozen.has(sock)) return;
        if (m.type === 'hello' && m.channel !== undefined) r.channelHellos++;
        if (o.noChannels && 'channel' in m) m.channel = undefined;
        switch (m.type) {
          case 'hello': {
            if (m.token !== TOKEN || o.refuseSessions?.includes(m.sessionId)) {
              send({ type: 'error', channel: m.channel, code: 'authFailed', fatal: true, message: 'bad token' });
              if (m.channel === undefined) {
                sock.end();
                return;
              }
              break;
            }
            const session = sessions.get(m.sessionId) ?? new Map<string, StreamData>();
            sessions.set(m.sessionId, session);
            channels.set(m.channel, { session, sinceCredit: 0 });
            const channel = m.channel;
            whereIs.set(m.sessionId, { sock, channel, forget: () => channels.delete(channel) });
            send({ type: 'welcome', channel: m.channel, version: m.version, creditFrames: o.credit ?? 500, heartbeatIntervalMs: o.heartbeatIntervalMs ?? 5000, durable: [...session].map(([streamId, s]) => ({ streamId, seq: s.durable })) });
            break;
          }
          case 'streamStart': {
            const session = channels.get(m.channel)?.session;
            byIndex.set(m.streamIndex, { channel: m.channel, streamId: m.streamId });
            if (session && !session.has(m.streamId)) session.set(m.streamId, { frames: new Map(), durable: 0, speakers: new Set() });
            break;
          }
          case 'audio': {
            const bound = byIndex.get(m.streamIndex);
            const ch = channels.get(bound?.channel);
            const s = ch?.session.get(bound?.streamId ?? '');
            if (!ch || !s) return;
            if (s.frames.has(m.seq)) r.duplicatesDropped++;
            else s.frames.set(m.seq, Buffer.from(m.payload));
            for (const sp of m.activeSpeakers) s.speakers.add(sp);
            received++;
            if (dropArmed && o.dropAfterFrames !== undefined && received >= o.dropAfterFrames) {
              dropArmed = false;
              sock.destroy();
              return;
            }
            if (++ch.sinceCredit >= 50) {
              send({ type: 'credit', channel: bound?.channel, frames: ch.sinceCredit });
              ch.sinceCredit = 0;
            }
            // Durable up to the highest contiguous multiple of ackEvery.
            let d = s.durable;
            while (s.frames.has(d + 1) && (d + 1) % ackEvery !== 0) d++;
            if (s.frames.has(d + 1) && (d + 1) % ackEvery === 0) {
              s.durable = d + 1;
              send({ type: 'ack', streamIndex: m.streamIndex, seq: s.durable });
            }
            break;
          }
          case 'streamEnd': {
            const bound = byIndex.get(m.streamIndex);
            const s = channels.get(bound?.channel)?.session.get(bound?.streamId ?? '');
            if (s) {
              let d = s.durable;
              while (s.frames.has(d + 1)) d++;
              s.durable = d;
              send({ type: 'ack', streamIndex: m.streamIndex, seq: d });
            }
            break;
          }
          case 'ping':
            send({ type: 'pong', nonce: m.nonce });
            break;
          case 'goodbye':
            if (m.channel === undefined) {
              sock.end();
              return;
            }
            channels.delete(m.channel);
            break;
          case 'error':
            if (m.channel !== undefined && m.fatal) channels.delete(m.channel);
            break;
          default:
            break;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    get connections() {
      return r.connections;
    },
    get duplicatesDropped() {
      return r.duplicatesDropped;
    },
    get channelHellos() {
      return r.channelHellos;
    },
    get openConnections() {
      return sockets.size;
    },
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    freezeAll: () => {
      for (const s of sockets) frozen.add(s);
    },
    goodbye: (sessionId, reason) => {
      const at = whereIs.get(sessionId);
      if (!at || at.sock.destroyed) return false;
      at.sock.write(encodeMessage({ type: 'goodbye', channel: at.channel, reason, message: 'test' }));
      at.forget();
      return true;
    },
    blobFor: (sessionId) => encodeLocalMediaConfig({ v: 1, bridge: `tcp://127.0.0.1:${port}`, sessionId, token: TOKEN }),
    streams: (sessionId) => sessions.get(sessionId) ?? new Map(),
    hash: (sessionId, streamId) => {
      const s = sessions.get(sessionId)?.get(streamId);
      const h = createHash('sha256');
      const seqs = [...(s?.frames.keys() ?? [])].sort((a, b) => a - b);
      for (const q of seqs) h.update(s?.frames.get(q) ?? Buffer.alloc(0));
      return { sha256: h.digest('hex'), frames: seqs.length, contiguous: seqs.every((q, i) => q === i + 1) };
    },
    close: () => new Promise<void>((res) => {
      for (const s of sockets) s.destroy();
      server.close(() => res());
    }),
  } as BridgeReceiver;
}
