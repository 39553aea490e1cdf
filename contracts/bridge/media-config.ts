// The local media config: what the worker returns as mediaConfig.blob when no .NET media SDK is present.
import { Buffer } from 'node:buffer';
import { z } from 'zod';

export const LocalMediaConfigSchema = z.object({
  v: z.literal(1),
  bridge: z.string().regex(/^tcp:\/\/[^/:]+:\d{1,5}$/, 'bridge must be tcp://host:port'),
  sessionId: z.string().min(1).max(200),
  token: z.string().min(16).max(500),
});
export type LocalMediaConfig = z.infer<typeof LocalMediaConfigSchema>;

export function encodeLocalMediaConfig(config: LocalMediaConfig): string {
  return Buffer.from(JSON.stringify(LocalMediaConfigSchema.parse(config)), 'utf8').toString('base64');
}

/** Decodes and validates a local media config blob; throws with a reason on anything else. */
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
