// After a restart: find what is stored for a call (Blob + spill journal) and rebuild each stream's chain.
import { chunkIndexOf } from '../ingest/chunker.js';
import { recordFromMetadata, speakersFromMetadata } from '../ingest/chunk-metadata.js';
import { chainHashOf, genesisHash, type ChunkRecord } from '../ingest/hash-chain.js';
import type { DurableWriter } from '../storage/durable-writer.js';
import { parseChunkName } from '../storage/naming.js';

export interface RecoveredStream {
  records: ChunkRecord[];
  speakers: Map<number, Array<[number, number[]]>>;
  /** Chunks missing from storage with stored chunks after them (a lost worker's spilled, never drained chunks). */
  breaks?: ChainBreak[];
}

/**
 * A declared break in a stream's chain: the chunk(s) between `afterIndex` and `beforeIndex` are not in storage (the
 * worker that acked them is gone), so chunk `beforeIndex` links to a chain hash no stored chunk has. The manifest
 * declares it (signed); the verifier accepts exactly that link and counts fromSeq..toSeq as missing.
 */
export interface ChainBreak {
  streamId: string;
  afterIndex: number | null;
  beforeIndex: number;
  fromSeq: number;
  toSeq: number;
  prevChainHash: string;
}

/**
 * Stored chunks per stream, following the chain from its genesis. Past a hole in the chunk indexes (chunks missing
 * from storage) the chain goes on when the next stored chunk's record is intact: the hole becomes a declared break.
 * A broken link without a hole (other content under a name) stops the chain there (records past it are rewritten on
 * replay). `skip` leaves chunks out (at seal: those a returning lost worker stored inside a declared gap).
 */
export async function recoverStreams(
  callId: string, prefix: string, writer: DurableWriter, skip: (record: ChunkRecord) => boolean = () => false,
): Promise<Map<string, RecoveredStream>> {
  const found = new Map<string, Map<number, { record: ChunkRecord; speakers: Array<[number, number[]]> | undefined }>>();
  const add = (name: string, meta: Record<string, string>): void => {
    const parsed = parseChunkName(prefix, name);
    const record = recordFromMetadata(meta);
    if (!parsed || !record || record.index !== parsed.index || record.streamId !== parsed.streamId || skip(record)) return;
    const s = speakersFromMetadata(meta);
    const byIndex = found.get(parsed.streamId) ?? new Map();
    byIndex.set(parsed.index, { record, speakers: Array.isArray(s) ? s : undefined });
    found.set(parsed.streamId, byIndex);
  };
  for await (const item of writer.primary.list(prefix)) add(item.name, item.metadata);
  for (const name of writer.spilledNames(prefix)) {
    const e = await writer.readSpilled(name);
    if (e) add(e.name, e.metadata);
  }
  const out = new Map<string, RecoveredStream>();
  for (const [streamId, byIndex] of found) {
    let head = genesisHash(callId, streamId);
    const records: ChunkRecord[] = [];
    const speakers = new Map<number, Array<[number, number[]]>>();
    const breaks: ChainBreak[] = [];
    let lastIndex: number | null = null;
    let lastSeq = 0;
    for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
      const e = byIndex.get(index);
      if (!e) break;
      if (e.record.prevChainHash !== head) {
        const hole = index !== (lastIndex === null ? 0 : lastIndex + 1);
        const { chainHash, ...unchained } = e.record;
        if (!hole || chainHashOf(unchained) !== chainHash || e.record.firstSeq <= lastSeq + 1) break;
        breaks.push({ streamId, afterIndex: lastIndex, beforeIndex: index, fromSeq: lastSeq + 1, toSeq: e.record.firstSeq - 1, prevChainHash: e.record.prevChainHash });
      }
      records.push(e.record);
      if (e.speakers) speakers.set(index, e.speakers);
      head = e.record.chainHash;
      lastIndex = index;
      lastSeq = e.record.lastSeq;
    }
    out.set(streamId, { records, speakers, ...(breaks.length > 0 ? { breaks } : {}) });
  }
  return out;
}

export { chunkIndexOf };
