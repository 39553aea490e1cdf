// Pure encoder: one BridgeMessage -> one length-prefixed frame (u32 BE length of what follows, u8 type, body).
import { Buffer } from 'node:buffer';
import {
  AUDIO_PAYLOAD_BYTES,
  AudioFormat,
  CHANNEL_FLAG,
  ErrorCode,
  GoodbyeReason,
  MAX_ACTIVE_SPEAKERS,
  MAX_FRAME_BYTES,
  MessageType,
  ProtocolError,
  StreamEndReason,
  StreamKind,
  type AudioMessage,
  type BridgeMessage,
  type ResumePoint,
} from './messages.js';

class Writer {
  readonly buf: Buffer;
  off = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  u8(v: number): void {
    this.off = this.buf.writeUInt8(v, this.off);
  }
  u16(v: number): void {
    this.off = this.buf.writeUInt16BE(v, this.off);
  }
  u32(v: number): void {
    this.off = this.buf.writeUInt32BE(v, this.off);
  }
  u64(v: bigint): void {
    this.off = this.buf.writeBigUInt64BE(v, this.off);
  }
  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u16(n);
    this.off += this.buf.write(s, this.off, 'utf8');
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.off);
    this.off += b.length;
  }
}

function strSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  if (n > 0xffff) throw new ProtocolError('badFrame', 'string longer than 65535 bytes');
  return 2 + n;
}

function resumeSize(points: ResumePoint[]): number {
  return 2 + points.reduce((sum, p) => sum + strSize(p.streamId) + 4, 0);
}

function bodySize(msg: BridgeMessage): number {
  switch (msg.type) {
    case 'hello':
      return 2 + strSize(msg.sessionId) + strSize(msg.token) + strSize(msg.callId) + resumeSize(msg.resume);
    case 'welcome':
      return 2 + 4 + 4 + resumeSize(msg.durable);
    case 'streamStart':
      return 2 + 1 + 1 + 4 + strSize(msg.streamId);
    case 'audio':
      return 2 + 4 + 8 + 1 + 1 + 4 * msg.activeSpeakers.length + msg.payload.length;
    case 'streamEnd':
      return 2 + 4 + 1;
    case 'ack':
      return 2 + 4;
    case 'credit':
      return 4;
    case 'ping':
    case 'pong':
      return 8;
    case 'error':
      return 2 + 1 + strSize(msg.message);
    case 'goodbye':
      return 1 + strSize(msg.message);
  }
}

const typeCode: Record<BridgeMessage['type'], number> = {
  hello: MessageType.HELLO,
  welcome: MessageType.WELCOME,
  streamStart: MessageType.STREAM_START,
  audio: MessageType.AUDIO,
  streamEnd: MessageType.STREAM_END,
  ack: MessageType.ACK,
  credit: MessageType.CREDIT,
  ping: MessageType.PING,
  pong: MessageType.PONG,
  error: MessageType.ERROR,
  goodbye: MessageType.GOODBYE,
};

function writeResume(w: Writer, points: ResumePoint[]): void {
  w.u16(points.length);
  for (const p of points) {
    w.str(p.streamId);
    w.u32(p.seq);
  }
}

/** Encodes one message as a complete frame. Throws ProtocolError on values the wire cannot carry. */
export function encodeMessage(msg: BridgeMessage): Buffer {
  if (msg.type === 'audio') validateAudio(msg);
  const body = bodySize(msg);
  if (body + 3 > MAX_FRAME_BYTES) throw new ProtocolError('badFrame', `frame of ${body + 1} bytes exceeds ${MAX_FRAME_BYTES}`);
  const channel = channelOf(msg);
  const extra = channel === undefined ? 0 : 2;
  const w = new Writer(4 + 1 + extra + body);
  w.u32(1 + extra + body);
  w.u8(channel === undefined ? typeCode[msg.type] : typeCode[msg.type] | CHANNEL_FLAG);
  if (channel !== undefined) w.u16(channel);
  switch (msg.type) {
    case 'hello':
      w.u16(msg.version);
      w.str(msg.sessionId);
      w.str(msg.token);
      w.str(msg.callId);
      writeResume(w, msg.resume);
      break;
    case 'welcome':
      w.u16(msg.version);
      w.u32(msg.creditFrames);
      w.u32(msg.heartbeatIntervalMs);
      writeResume(w, msg.durable);
      break;
    case 'streamStart':
      w.u16(msg.streamIndex);
      w.u8(StreamKind[msg.kind]);
      w.u8(AudioFormat[msg.format]);
      w.u32(msg.sourceId);
      w.str(msg.streamId);
      break;
    case 'audio':
      w.u16(msg.streamIndex);
      w.u32(msg.seq);
      w.u64(msg.timestamp);
      w.u8(msg.flags);
      w.u8(msg.activeSpeakers.length);
      for (const s of msg.activeSpeakers) w.u32(s);
      w.bytes(msg.payload);
      break;
    case 'streamEnd':
      w.u16(msg.streamIndex);
      w.u32(msg.lastSeq);
      w.u8(StreamEndReason[msg.reason]);
      break;
    case 'ack':
      w.u16(msg.streamIndex);
      w.u32(msg.seq);
      break;
    case 'credit':
      w.u32(msg.frames);
      break;
    case 'ping':
    case 'pong':
      w.u64(msg.nonce);
      break;
    case 'error':
      w.u16(ErrorCode[msg.code]);
      w.u8(msg.fatal ? 1 : 0);
      w.str(msg.message);
      break;
    case 'goodbye':
      w.u8(GoodbyeReason[msg.reason]);
      w.str(msg.message);
      break;
  }
  return w.buf;
}

function channelOf(msg: BridgeMessage): number | undefined {
  if (!('channel' in msg) || msg.channel === undefined) return undefined;
  if (!Number.isInteger(msg.channel) || msg.channel < 0 || msg.channel > 0xffff) throw new ProtocolError('badFrame', `channel ${msg.channel} outside 0..65535`);
  return msg.channel;
}

function validateAudio(msg: AudioMessage): void {
  if (msg.payload.length !== AUDIO_PAYLOAD_BYTES) {
    throw new ProtocolError('badPayload', `audio payload must be ${AUDIO_PAYLOAD_BYTES} bytes, got ${msg.payload.length}`);
  }
  if (msg.activeSpeakers.length > MAX_ACTIVE_SPEAKERS) throw new ProtocolError('badFrame', 'too many active speakers');
}

/** Convenience for hot paths: encodes an AUDIO frame. */
export function encodeAudio(msg: Omit<AudioMessage, 'type'>): Buffer {
  return encodeMessage({ type: 'audio', ...msg });
}
