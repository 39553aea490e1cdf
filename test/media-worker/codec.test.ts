import { describe, expect, it } from 'vitest';
import {
  AUDIO_PAYLOAD_BYTES,
  FrameDecoder,
  ProtocolError,
  decodeAll,
  decodeLocalMediaConfig,
  encodeLocalMediaConfig,
  encodeMessage,
  type BridgeMessage,
} from '../../contracts/bridge/index.js';

function payload(fill: number): Buffer {
  const b = Buffer.alloc(AUDIO_PAYLOAD_BYTES);
  for (let i = 0; i < b.length; i++) b[i] = (fill + i) & 0xff;
  return b;
}

const samples: BridgeMessage[] = [
  { type: 'hello', version: 1, sessionId: 'sess-1', token: 'tök€n', callId: 'call-1', resume: [{ streamId: 'mixed', seq: 42 }, { streamId: 'unmixed-7', seq: 0 }] },
  { type: 'welcome', version: 1, creditFrames: 500, heartbeatIntervalMs: 5000, durable: [{ streamId: 'mixed', seq: 40 }] },
  { type: 'streamStart', streamIndex: 3, streamId: 'unmixed-7', kind: 'unmixed', format: 'pcm16k', sourceId: 7 },
  { type: 'audio', streamIndex: 3, seq: 0xffff_fffe, timestamp: 0xffff_ffff_ffff_fff0n, flags: 1, activeSpeakers: [7, 0xffff_ffff], payload: payload(5) },
  { type: 'audio', streamIndex: 0, seq: 1, timestamp: 133_000_000_000_000_000n, flags: 0, activeSpeakers: [], payload: payload(9) },
  { type: 'streamEnd', streamIndex: 3, lastSeq: 99, reason: 'speakerLeft' },
  { type: 'ack', streamIndex: 3, seq: 98 },
  { type: 'credit', frames: 250 },
  { type: 'ping', nonce: 123456789012345n },
  { type: 'pong', nonce: 1n },
  { type: 'error', code: 'authFailed', fatal: true, message: 'bad token' },
  { type: 'goodbye', reason: 'callEnded', message: '' },
];

describe('bridge codec', () => {
  it('round-trips every message type', () => {
    for (const msg of samples) {
      expect(decodeAll(encodeMessage(msg))).toEqual([msg]);
    }
  });

  it('decodes a stream fed one byte at a time and in random splits', () => {
    const wire = Buffer.concat(samples.map(encodeMessage));
    const d1 = new FrameDecoder();
    const out1: BridgeMessage[] = [];
    for (let i = 0; i < wire.length; i++) out1.push(...d1.push(wire.subarray(i, i + 1)));
    expect(out1).toEqual(samples);
    expect(d1.bufferedBytes).toBe(0);

    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 20; round++) {
      const d = new FrameDecoder();
      const out: BridgeMessage[] = [];
      let off = 0;
      while (off < wire.length) {
        const n = 1 + Math.floor(rnd() * 1500);
        out.push(...d.push(wire.subarray(off, off + n)));
        off += n;
      }
      expect(out).toEqual(samples);
    }
  });

  it('returns audio payloads as views of the input when the frame is whole (zero-copy)', () => {
    const wire = encodeMessage(samples[4]!);
    const [msg] = new FrameDecoder().push(wire);
    expect(msg?.type).toBe('audio');
    if (msg?.type === 'audio') expect(msg.payload.buffer).toBe(wire.buffer);
  });

  it('rejects bad frames with a ProtocolError naming the problem', () => {
    expect(() => new FrameDecoder().push(Buffer.from([0, 2, 0, 0, 0x11]))).toThrow(/frame length/);
    expect(() => decodeAll(Buffer.from([0, 0, 0, 1, 0x7f]))).toThrow(/unknown message type/);
    const short = encodeMessage(samples[4]!);
    const cut = Buffer.concat([Buffer.from([0, 0, 0, short.length - 4 - 10]), short.subarray(4, short.length - 10)]);
    expect(() => decodeAll(cut)).toThrow(/audio payload must be 640/);
    expect(() => encodeMessage({ ...(samples[4] as Extract<BridgeMessage, { type: 'audio' }>), payload: Buffer.alloc(10) })).toThrow(ProtocolError);
    const ack = encodeMessage({ type: 'ack', streamIndex: 1, seq: 2 });
    const padded = Buffer.concat([Buffer.from([0, 0, 0, ack.length - 4 + 1]), ack.subarray(4), Buffer.from([0])]);
    expect(() => decodeAll(padded)).toThrow(/trailing bytes/);
  });

  it('encodes and validates the local media config', () => {
    const blob = encodeLocalMediaConfig({ v: 1, bridge: 'tcp://127.0.0.1:7082', sessionId: 's1', token: 'x'.repeat(32) });
    expect(decodeLocalMediaConfig(blob)).toMatchObject({ host: '127.0.0.1', port: 7082, sessionId: 's1' });
    expect(() => decodeLocalMediaConfig(Buffer.from('{"v":2}').toString('base64'))).toThrow();
    expect(() => decodeLocalMediaConfig('%%%')).toThrow();
  });
});
