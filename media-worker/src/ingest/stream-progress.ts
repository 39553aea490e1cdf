// What a stream keeps about its durable chunks during the call: counters, the last durable chunk and the chain head it
// ends on. Constant size per stream: the full chunk list is rebuilt from storage at seal (session/recovery.ts).
import { genesisHash, type ChunkRecord } from './hash-chain.js';

export interface StreamProgress {
  /** Durable chunks, frames and bytes. */
  chunks: number;
  frames: number;
  bytes: number;
  /** First seq of the lowest-index durable chunk (null: none yet). */
  firstSeq: number | null;
  /** Index, last seq and last media timestamp of the highest-index durable chunk (null: none yet). */
  lastIndex: number | null;
  lastSeq: number | null;
  lastTimestamp: string | null;
  /** Chain hash of the highest-index durable chunk (the genesis when there is none). */
  chainHead: string;
}

export function emptyProgress(callId: string, streamId: string): StreamProgress {
  return { chunks: 0, frames: 0, bytes: 0, firstSeq: null, lastIndex: null, lastSeq: null, lastTimestamp: null, chainHead: genesisHash(callId, streamId) };
}

/** Adds one durable chunk (commits may finish out of index order). Mutates `p`. */
export function addRecord(p: StreamProgress, r: ChunkRecord): void {
  p.chunks++;
  p.frames += r.frames;
  p.bytes += r.bytes;
  if (p.firstSeq === null || r.firstSeq < p.firstSeq) p.firstSeq = r.firstSeq;
  if (p.lastIndex === null || r.index > p.lastIndex) {
    p.lastIndex = r.index;
    p.lastSeq = r.lastSeq;
    p.lastTimestamp = r.lastTimestamp;
    p.chainHead = r.chainHash;
  }
}

/** Progress of a stream whose records were read back from storage (in index order). */
export function progressOf(callId: string, streamId: string, records: readonly ChunkRecord[]): StreamProgress {
  const p = emptyProgress(callId, streamId);
  for (const r of records) addRecord(p, r);
  return p;
}
