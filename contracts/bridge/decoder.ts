// Incremental decoder: feed it socket chunks of any size; it yields complete messages and keeps the remainder.
// AUDIO payloads are views into the input chunk when the frame lies within one chunk (zero-copy).
import { Buffer } from 'node:buffer';
import {
  AUDIO_PAYLOAD_BYTES,
  AudioFormat,
  CHANNEL_FLAG,
  ErrorCode,
  GoodbyeReason,
  MAX_FRAME_BYTES,
  MessageType,
  ProtocolError,
  StreamEndReason,
  StreamKind,
  nameOf,
  type BridgeMessage,
  type ResumePoint,
} from './messages.js';

class Reader {
  off = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly end: number,
    start: number,
  ) {
    this.off = start;
  }
  private need(n: number): void {
    if (this.off + n > this.end) throw new ProtocolError('badFrame', 'frame body truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.off++);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    return v;
  }
  str(): string {
    const n = this.u16();
    this.need(n);
    const s = this.buf.toString('utf8', this.off, this.off + n);
    this.off += n;
    return s;
  }
  rest(): Buffer {
    const b = this.buf.subarray(this.off, this.end);
    this.off = this.end;
    return b;
  }
  done(): void {
    if (this.off !== this.end) throw new ProtocolError('badFrame', `${this.end - this.off} trailing bytes in frame`);
  }
}

function readResume(r: Reader): ResumePoint[] {
  const n = r.u16();
  const points: ResumePoint[] = [];
  for (let i = 0; i < n; i++) points.push({ streamId: r.str(), seq: r.u32() });
  return points;
}

/** Offsets inside an AUDIO frame body, relative to its type byte (see PROTOCOL.md). */
export const AudioBody = { streamIndex: 1, seq: 3, timestamp: 7, flags: 15, speakerCount: 16, speakers: 17 } as const;

/**
 * Validates an AUDIO body in place (type byte at `start`, body up to `end`) and returns where its 640-byte payload
 * starts. The zero-copy path: read the fields with `buf.readUInt32BE(start + AudioBody.seq)` etc.
 */
export function audioPayloadStart(buf: Buffer, start: number, end: number): number {
  if (end - start < 1 + 16) throw new ProtocolError('badFrame', 'frame body truncated');
  const payloadStart = start + AudioBody.speakers + 4 * (buf[start + AudioBody.speakerCount] as number);
  if (end - payloadStart !== AUDIO_PAYLOAD_BYTES) {
    if (payloadStart > end) throw new ProtocolError('badFrame', 'frame body truncated');
    throw new ProtocolError('badPayload', `audio payload must be ${AUDIO_PAYLOAD_BYTES} bytes, got ${end - payloadStart}`);
  }
  return payloadStart;
}

/** AUDIO fast path (the hot message): direct reads, no Reader object. */
function decodeAudio(buf: Buffer, start: number, end: number): BridgeMessage {
  const payloadStart = audioPayloadStart(buf, start, end);
  const count = buf[start + 16] as number;
  const activeSpeakers = new Array<number>(count);
  for (let i = 0; i < count; i++) activeSpeakers[i] = buf.readUInt32BE(start + 17 + 4 * i);
  return {
    type: 'audio',
    streamIndex: buf.readUInt16BE(start + 1),
    seq: buf.readUInt32BE(start + 3),
    timestamp: buf.readBigUInt64BE(start + 7),
    flags: buf[start + 15] as number,
    activeSpeakers,
    payload: buf.subarray(payloadStart, end),
  };
}

/** Decodes one frame body (type byte at `start`, body up to `end`). */
export function decodeBody(buf: Buffer, start: number, end: number): BridgeMessage {
  if (buf[start] === MessageType.AUDIO) return decodeAudio(buf, start, end);
  const r = new Reader(buf, end, start);
  const code = r.u8();
  let channel: number | undefined;
  if (code & CHANNEL_FLAG) {
    if (!CHANNEL_CODES.has(code & ~CHANNEL_FLAG)) throw new ProtocolError('badFrame', `unknown message type 0x${code.toString(16)}`);
    channel = r.u16();
  }
  const type = code & ~CHANNEL_FLAG;
  let msg: BridgeMessage;
  switch (type) {
    case MessageType.HELLO:
      msg = { type: 'hello', version: r.u16(), sessionId: r.str(), token: r.str(), callId: r.str(), resume: readResume(r) };
      break;
    case MessageType.WELCOME:
      msg = { type: 'welcome', version: r.u16(), creditFrames: r.u32(), heartbeatIntervalMs: r.u32(), durable: readResume(r) };
      break;
    case MessageType.STREAM_START: {
      const streamIndex = r.u16();
      const kind = nameOf(StreamKind, r.u8(), 'stream kind');
      const format = nameOf(AudioFormat, r.u8(), 'audio format');
      const sourceId = r.u32();
      msg = { type: 'streamStart', streamIndex, kind, format, sourceId, streamId: r.str() };
      break;
    }
    case MessageType.AUDIO: {
      const streamIndex = r.u16();
      const seq = r.u32();
      const timestamp = r.u64();
      const flags = r.u8();
      const count = r.u8();
      const activeSpeakers = new Array<number>(count);
      for (let i = 0; i < count; i++) activeSpeakers[i] = r.u32();
      const payload = r.rest();
      if (payload.length !== AUDIO_PAYLOAD_BYTES) {
        throw new ProtocolError('badPayload', `audio payload must be ${AUDIO_PAYLOAD_BYTES} bytes, got ${payload.length}`);
      }
      msg = { type: 'audio', streamIndex, seq, timestamp, flags, activeSpeakers, payload };
      break;
    }
    case MessageType.STREAM_END:
      msg = { type: 'streamEnd', streamIndex: r.u16(), lastSeq: r.u32(), reason: nameOf(StreamEndReason, r.u8(), 'stream end reason') };
      break;
    case MessageType.ACK:
      msg = { type: 'ack', streamIndex: r.u16(), seq: r.u32() };
      break;
    case MessageType.CREDIT:
      msg = { type: 'credit', frames: r.u32() };
      break;
    case MessageType.PING:
      msg = { type: 'ping', nonce: r.u64() };
      break;
    case MessageType.PONG:
      msg = { type: 'pong', nonce: r.u64() };
      break;
    case MessageType.ERROR:
      msg = { type: 'error', code: nameOf(ErrorCode, r.u16(), 'error code'), fatal: r.u8() !== 0, message: r.str() };
      break;
    case MessageType.GOODBYE:
      msg = { type: 'goodbye', reason: nameOf(GoodbyeReason, r.u8(), 'goodbye reason'), message: r.str() };
      break;
    default:
      throw new ProtocolError('badFrame', `unknown message type 0x${type.toString(16)}`);
  }
  r.done();
  if (channel !== undefined) (msg as { channel?: number }).channel = channel;
  return msg;
}

/** Base type codes that have a channel form (`code | CHANNEL_FLAG`, body prefixed with `u16 channel`). */
const CHANNEL_CODES = new Set<number>([MessageType.HELLO, MessageType.WELCOME, MessageType.STREAM_START, MessageType.CREDIT, MessageType.ERROR, MessageType.GOODBYE]);

/**
 * Incremental frame decoder. `push(chunk)` returns every message completed by that chunk.
 * After a ProtocolError the stream is out of sync: close the connection.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): BridgeMessage[] {
    const out: BridgeMessage[] = [];
    let buf: Buffer;
    if (this.pendingBytes === 0) {
      buf = chunk;
    } else {
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.pendingBytes + chunk.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (len < 1 || len > this.maxFrameBytes) throw new ProtocolError('badFrame', `frame length ${len} outside 1..${this.maxFrameBytes}`);
      if (buf.length - off - 4 < len) break;
      out.push(decodeBody(buf, off + 4, off + 4 + len));
      off += 4 + len;
    }
    if (off < buf.length) {
      // Keep the remainder; copy so that a retained tail does not pin a large socket buffer.
      const tail = Buffer.from(buf.subarray(off));
      this.pending.push(tail);
      this.pendingBytes = tail.length;
    }
    return out;
  }
}

/** Receives the frames a FrameSplitter finds; `start..end` is the body (type byte first), valid during the call only. */
export type FrameHandler = (buf: Buffer, start: number, end: number) => void;

/**
 * Zero-copy frame splitter: `push(chunk, onFrame)` calls `onFrame` with the bounds of every complete frame's body,
 * in place in `chunk`. Only a frame that straddles two reads is copied (into one scratch buffer reused per
 * connection), so no per-frame object is allocated. Decode the body with `decodeBody` or, for AUDIO, read it in place
 * (`audioPayloadStart`, `AudioBody`). The view passed to `onFrame` must not be kept after it returns.
 */
export class FrameSplitter {
  private scratch: Buffer = Buffer.allocUnsafe(1024);
  /** Bytes of a straddling frame held in `scratch` (0 = none). */
  private have = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  get bufferedBytes(): number {
    return this.have;
  }

  push(chunk: Buffer, onFrame: FrameHandler): void {
    let off = 0;
    if (this.have > 0) {
      off = this.completePartial(chunk, onFrame);
      if (off < 0) return;
    }
    const n = chunk.length;
    while (n - off >= 4) {
      const len = chunk.readUInt32BE(off);
      if (len < 1 || len > this.maxFrameBytes) throw new ProtocolError('badFrame', `frame length ${len} outside 1..${this.maxFrameBytes}`);
      if (n - off - 4 < len) break;
      onFrame(chunk, off + 4, off + 4 + len);
      off += 4 + len;
    }
    if (off < n) this.keep(chunk, off, n);
  }

  /** Continues the straddling frame from the head of `chunk`; returns where the rest of `chunk` starts, or -1. */
  private completePartial(chunk: Buffer, onFrame: FrameHandler): number {
    let off = 0;
    if (this.have < 4) {
      const take = Math.min(4 - this.have, chunk.length);
      chunk.copy(this.scratch, this.have, 0, take);
      this.have += take;
      off = take;
      if (this.have < 4) return -1;
    }
    const len = this.scratch.readUInt32BE(0);
    if (len < 1 || len > this.maxFrameBytes) throw new ProtocolError('badFrame', `frame length ${len} outside 1..${this.maxFrameBytes}`);
    const total = 4 + len;
    if (this.scratch.length < total) {
      const bigger = Buffer.allocUnsafe(total);
      this.scratch.copy(bigger, 0, 0, this.have);
      this.scratch = bigger;
    }
    const take = Math.min(total - this.have, chunk.length - off);
    chunk.copy(this.scratch, this.have, off, off + take);
    this.have += take;
    off += take;
    if (this.have < total) return -1;
    this.have = 0;
    onFrame(this.scratch, 4, total);
    if (this.scratch.length > 4096) this.scratch = Buffer.allocUnsafe(1024); // do not keep a rare large frame's buffer
    return off;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.scratch.length < n) this.scratch = Buffer.allocUnsafe(n);
    chunk.copy(this.scratch, 0, from, to);
    this.have = n;
  }
}

/** Decodes a buffer holding exactly one or more complete frames. */
export function decodeAll(buf: Buffer): BridgeMessage[] {
  const d = new FrameDecoder();
  const msgs = d.push(buf);
  if (d.bufferedBytes !== 0) throw new ProtocolError('badFrame', 'incomplete trailing frame');
  return msgs;
}
