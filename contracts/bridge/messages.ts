// Typed messages of the media-bridge wire protocol (see media-worker/PROTOCOL.md for byte layouts).

/** Version 2 adds shared links: one connection carrying many sessions on channels (PROTOCOL.md, "Shared links"). */
export const PROTOCOL_VERSION = 2;
/** Versions a worker accepts in HELLO (a version-1 bridge has one session per connection). */
export const SUPPORTED_VERSIONS: readonly number[] = [1, 2];
/** Type-code bit of a message's channel form (shared links): the body starts with `u16 channel`. */
export const CHANNEL_FLAG = 0x80;
/** Largest accepted frame body (type byte + body), in bytes. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** 20 ms of 16 kHz 16-bit mono PCM. */
export const AUDIO_PAYLOAD_BYTES = 640;
export const FRAME_DURATION_MS = 20;
/** 20 ms in 100-ns units. */
export const FRAME_DURATION_100NS = 200_000n;
/** Source id meaning "no source" (mixed stream, or no dominant speaker). */
export const NO_SOURCE_ID = 0xffff_ffff;
export const MAX_ACTIVE_SPEAKERS = 255;

export const MessageType = {
  HELLO: 0x01,
  WELCOME: 0x02,
  STREAM_START: 0x10,
  AUDIO: 0x11,
  STREAM_END: 0x12,
  ACK: 0x20,
  CREDIT: 0x21,
  PING: 0x30,
  PONG: 0x31,
  ERROR: 0x40,
  GOODBYE: 0x41,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

export const StreamKind = { mixed: 0, unmixed: 1 } as const;
export type StreamKindName = keyof typeof StreamKind;
export const AudioFormat = { pcm16k: 1 } as const;
export type AudioFormatName = keyof typeof AudioFormat;

export const AudioFlags = { silence: 0x01, discontinuity: 0x02 } as const;

export const StreamEndReason = { normal: 0, speakerLeft: 1, callEnded: 2, error: 3 } as const;
export type StreamEndReasonName = keyof typeof StreamEndReason;

export const GoodbyeReason = { normal: 0, callEnded: 1, shuttingDown: 2, migrating: 3, recordingStopped: 4 } as const;
export type GoodbyeReasonName = keyof typeof GoodbyeReason;

export const ErrorCode = {
  badFrame: 1,
  unsupportedVersion: 2,
  authFailed: 3,
  unknownSession: 4,
  unknownStream: 5,
  flowControl: 6,
  sessionClosed: 7,
  internal: 8,
  badPayload: 9,
  protocolState: 10,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

export interface ResumePoint {
  streamId: string;
  /** Highest seq the worker has acknowledged on this stream (0 = none). */
  seq: number;
}

export interface HelloMessage {
  type: 'hello';
  /** Shared links only: the session's channel on this connection (absent: the connection's only session). */
  channel?: number;
  version: number;
  sessionId: string;
  token: string;
  callId: string;
  /** Last acked seq per stream, as the bridge remembers it (informational; WELCOME is authoritative). */
  resume: ResumePoint[];
}

export interface WelcomeMessage {
  type: 'welcome';
  /** Shared links only: the session's channel on this connection (absent: the connection's only session). */
  channel?: number;
  version: number;
  /** Initial flow-control credit: AUDIO frames the bridge may send before it needs CREDIT. */
  creditFrames: number;
  heartbeatIntervalMs: number;
  /** Per stream: everything <= seq is durable; the bridge replays seq+1... */
  durable: ResumePoint[];
}

export interface StreamStartMessage {
  type: 'streamStart';
  /** Shared links only: the session's channel on this connection (absent: the connection's only session). */
  channel?: number;
  streamIndex: number;
  streamId: string;
  kind: StreamKindName;
  format: AudioFormatName;
  /** Media source id (MSI) of an unmixed stream; NO_SOURCE_ID for mixed. */
  sourceId: number;
}

export interface AudioMessage {
  type: 'audio';
  streamIndex: number;
  /** Per-stream sequence number, starting at 1, +1 per 20 ms frame. */
  seq: number;
  /** Media timestamp in 100-ns units. */
  timestamp: bigint;
  flags: number;
  activeSpeakers: number[];
  /** 640 bytes; may be a view into the decoder's input buffer (copy it if you keep it long). */
  payload: Buffer;
}

export interface StreamEndMessage {
  type: 'streamEnd';
  streamIndex: number;
  lastSeq: number;
  reason: StreamEndReasonName;
}

export interface AckMessage {
  type: 'ack';
  streamIndex: number;
  /** Cumulative: every frame of the stream with seq <= this is durable. */
  seq: number;
}

export interface CreditMessage {
  type: 'credit';
  /** Shared links only: the session's channel on this connection (absent: the connection's only session). */
  channel?: number;
  frames: number;
}

export interface PingMessage {
  type: 'ping';
  nonce: bigint;
}

export interface PongMessage {
  type: 'pong';
  nonce: bigint;
}

export interface ErrorMessage {
  type: 'error';
  /** Shared links only: the session's channel on this connection (absent: the connection's only session). */
  channel?: number;
  code: ErrorCodeName;
  fatal: boolean;
  message: string;
}

export interface GoodbyeMessage {
  type: 'goodbye';
  /** Shared links only: the session's channel on this connection (absent: the connection's only session). */
  channel?: number;
  reason: GoodbyeReasonName;
  message: string;
}

export type BridgeMessage =
  | HelloMessage
  | WelcomeMessage
  | StreamStartMessage
  | AudioMessage
  | StreamEndMessage
  | AckMessage
  | CreditMessage
  | PingMessage
  | PongMessage
  | ErrorMessage
  | GoodbyeMessage;

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCodeName,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Messages with a channel form on shared links; the others are per link (PING/PONG) or name their stream by index. */
const CHANNEL_FORM_TYPES: ReadonlySet<BridgeMessage['type']> = new Set(['hello', 'welcome', 'streamStart', 'credit', 'error', 'goodbye']);

/** `m` addressed to `channel` of a shared link (unchanged when `channel` is undefined or `m` has no channel form). */
export function onChannel(m: BridgeMessage, channel: number | undefined): BridgeMessage {
  return channel !== undefined && CHANNEL_FORM_TYPES.has(m.type) ? ({ ...m, channel } as BridgeMessage) : m;
}

export function nameOf<T extends Record<string, number>>(table: T, value: number, what: string): keyof T & string {
  for (const [name, code] of Object.entries(table)) if (code === value) return name as keyof T & string;
  throw new ProtocolError('badFrame', `unknown ${what} ${value}`);
}
