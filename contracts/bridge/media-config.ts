// The local media config: what the worker returns as mediaConfig.blob when no .NET media SDK is present.
import { Buffer } from 'node:buffer';
import { z } from 'zod';

const BridgeAddress = z.string().regex(/^tcp:\/\/[^/:]+:\d{1,5}$/, 'bridge must be tcp://host:port');

export const LocalMediaConfigSchema = z.object({
  v: z.literal(1),
  bridge: BridgeAddress,
  sessionId: z.string().min(1).max(200),
  /** A session ticket any worker of the pool can verify (media-worker/PROTOCOL.md, "Reconnect and resume"). */
  token: z.string().min(16).max(2000),
  /** Other workers of the pool the bridge may move this session to when `bridge` is lost (in this order). */
  alternates: z.array(BridgeAddress).max(16).optional(),
});
export type LocalMediaConfig = z.infer<typeof LocalMediaConfigSchema>;

export function encodeLocalMediaConfig(config: LocalMediaConfig): string {
  return Buffer.from(JSON.stringify(LocalMediaConfigSchema.parse(config)), 'utf8').toString('base64');
}

/** Decodes and validates a local media config blob; throws with a reason on anything else. */
/** host and port of a `tcp://host:port` bridge address. */
export function parseBridgeAddress(address: string): { host: string; port: number } {
  const m = /^tcp:\/\/([^/:]+):(\d+)$/.exec(address);
  if (!m || !m[1] || !m[2]) throw new Error(`bad bridge address ${address}`);
  return { host: m[1], port: Number(m[2]) };
}

export function decodeLocalMediaConfig(blob: string): LocalMediaConfig & { host: string; port: number } {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(blob, 'base64').toString('utf8'));
  } catch {
    throw new Error('media config blob is not base64 JSON');
  }
  const config = LocalMediaConfigSchema.parse(json);
  const m = /^tcp:\/\/([^/:]+):(\d+)$/.exec(config.bridge);
  if (!m || !m[1] || !m[2]) throw new Error('bad bridge address');
  return { ...config, host: m[1], port: Number(m[2]) };
}
