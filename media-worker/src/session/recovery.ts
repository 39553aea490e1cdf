// After a restart: find what is stored for a call (Blob + spill journal) and rebuild each stream's chain.
import { chunkIndexOf } from '../ingest/chunker.js';
import { recordFromMetadata, speakersFromMetadata } from '../ingest/chunk-metadata.js';
import { genesisHash, type ChunkRecord } from '../ingest/hash-chain.js';
import type { DurableWriter } from '../storage/durable-writer.js';
import { parseChunkName } from '../storage/naming.js';

export interface RecoveredStream {
  records: ChunkRecord[];
  speakers: Map<number, Array<[number, number[]]>>;
}

/** Stored chunks per stream, following the chain from its genesis (records past a broken link are rewritten on replay). */
export async function recoverStreams(callId: string, prefix: string, writer: DurableWriter): Promise<Map<string, RecoveredStream>> {
  const found = new Map<string, Map<number, { record: ChunkRecord; speakers: Array<[number, number[]]> | undefined }>>();
  const add = (name: string, meta: Record<string, string>): void => {
    const parsed = parseChunkName(prefix, name);
    const record = recordFromMetadata(meta);
    if (!parsed || !record || record.index !== parsed.index || record.streamId !== parsed.streamId) return;
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
    for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
      const e = byIndex.get(index);
      if (!e || e.record.prevChainHash !== head) break;
      records.push(e.record);
      if (e.speakers) speakers.set(index, e.speakers);
      head = e.record.chainHash;
    }
    out.set(streamId, { records, speakers });
  }
  return out;
}

export { chunkIndexOf };
