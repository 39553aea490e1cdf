// npm run bench:records — heap bytes per chunk record (the hash-chain link of one stored chunk). Streams no longer keep
// their records until seal (the chunk list is rebuilt from storage then); a record is still built per chunk, and
// adoption and seal hold one per stored chunk of the call while they run.
import { genesisHash, link, sha256Hex, type ChunkRecord } from '../media-worker/src/ingest/hash-chain.js';

const N = Number(process.env.BENCH_RECORDS ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with node --expose-gc (npm run bench:records does)\n');
  process.exit(2);
}
const callId = `call-${'0'.repeat(32)}`;
const streamId = 'mixed';
gc();
const before = process.memoryUsage().heapUsed;
const records: ChunkRecord[] = [];
let prev = genesisHash(callId, streamId);
for (let i = 0; i < N; i++) {
  const ts = 130_000_000_000_000_000n + BigInt(i) * 20_000_000n;
  const r = link({
    callId, streamId, index: i, firstSeq: i * 100 + 1, lastSeq: i * 100 + 100, frames: 100, bytes: 64_000, sha256: sha256Hex(`chunk ${i}`),
    firstTimestamp: ts.toString(), lastTimestamp: (ts + 19_800_000n).toString(), silentFrames: 0, gaps: [],
  }, prev);
  prev = r.chainHash;
  records.push(r);
}
gc();
const perRecord = (process.memoryUsage().heapUsed - before) / records.length;
process.stdout.write(`bench:records  ${records.length} chunk records: ${perRecord.toFixed(0)} bytes each on the heap; ` +
  `one stream-hour of 2 s chunks (1,800 records) = ${((perRecord * 1800) / 1024).toFixed(0)} KiB\n`);
