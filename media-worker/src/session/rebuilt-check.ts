// Seal's cross-check (pure): the chunk list rebuilt from storage must end on the chain head, and hold the chunks and
// frames, that the stream counted in memory as it committed them. Any difference is reported; the seal then fails.
import type { ChunkRecord } from '../ingest/hash-chain.js';
import type { StreamProgress } from '../ingest/stream-progress.js';

export function checkRebuilt(streamId: string, expected: StreamProgress, records: readonly ChunkRecord[]): string[] {
  const problems: string[] = [];
  const head = records.at(-1)?.chainHash ?? null;
  const frames = records.reduce((n, r) => n + r.frames, 0);
  if (records.length !== expected.chunks) problems.push(`${streamId}: ${records.length} chunks stored, ${expected.chunks} committed`);
  if (frames !== expected.frames) problems.push(`${streamId}: ${frames} frames stored, ${expected.frames} committed`);
  if (expected.chunks > 0 && head !== expected.chainHead) problems.push(`${streamId}: stored chain ends on ${head ?? 'nothing'}, committed head is ${expected.chainHead}`);
  return problems;
}
