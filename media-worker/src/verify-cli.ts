// `npm run verify -- <callId> [--manifest <blobName>] [--json]`: verifies a stored recording and exits 0 (intact) or 1.
// Settings come from the environment, else from `.stack/env.json` (written by the local stack); nothing is asked.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { createObjectStore, createRecordingsStore } from './clients.js';
import { Ed25519FileSigner } from './manifest/signer.js';
import { verifyRecording, type Verdict } from './verify/verify-recording.js';

const StackEnvSchema = z.record(z.string(), z.string());

async function settings(): Promise<Record<string, string | undefined>> {
  const file = join(process.cwd(), '.stack', 'env.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const fromStack = text ? StackEnvSchema.parse(JSON.parse(text)) : {};
  return { ...fromStack, ...process.env };
}

function headline(v: Verdict): string {
  if (v.completeness === 'complete') return 'INTACT (complete)';
  if (v.completeness === 'completeWithRecovery') {
    const by = [...new Set(v.declaredGaps.flatMap((g) => g.filled?.workerIds ?? []))].join(', ');
    const frames = v.streams.reduce((n, s) => n + s.recoveredFrames, 0);
    return `INTACT (complete with recovery: every declared gap filled later by ${by}, ${frames} frames recovered)`;
  }
  return `INTACT WITH DECLARED GAPS (${v.missingFrames} frames missing)`;
}

function filledNote(g: Verdict['declaredGaps'][number]): string {
  if (!g.filled) return '';
  return ` - gap filled${g.filled.complete ? '' : ' in part'} later by ${g.filled.workerIds.join(', ')} (${g.filled.frames} frames recovered)`;
}

function print(v: Verdict): void {
  const lines = [
    `call ${v.callId}: ${v.ok ? headline(v) : 'NOT INTACT'}`,
    `  manifest: ${v.manifestBlob ?? '(none)'}   signature: ${v.signature}`,
    ...(v.sealedBy ? [`  recorded by: ${v.recordedBy.join(', ')} (sealed by ${v.sealedBy})`] : []),
    ...v.streams.map((s) => `  stream ${s.streamId}: ${s.chunks} chunks, ${s.frames} frames, ${s.bytes} bytes, sha256 ${s.sha256} ${s.ok ? 'ok' : 'BAD'}`),
    ...v.declaredGaps.map((g) => `  gap: ${g.streamId} seq ${g.fromSeq}..${g.toSeq} (${g.toSeq - g.fromSeq + 1} frames): ${g.reason}${filledNote(g)}`),
    ...v.supplements.map((s) => `  supplement: ${s} (verified)`),
    ...(v.firstBadChunk ? [`  first bad chunk: ${v.firstBadChunk.streamId} #${v.firstBadChunk.index} ${v.firstBadChunk.name}: ${v.firstBadChunk.reason}`] : []),
    ...v.problems.map((p) => `  problem: ${p}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const mi = args.indexOf('--manifest');
  const manifestBlob = mi >= 0 ? args[mi + 1] : undefined;
  const callId = args.find((a, i) => !a.startsWith('--') && (mi < 0 || i !== mi + 1));
  if (!callId && !manifestBlob) {
    process.stderr.write('usage: npm run verify -- <callId> [--manifest <blobName>] [--json]\n');
    return 2;
  }
  const env = await settings();
  const dataDir = env.MEDIA_WORKER_DATA_DIR ?? join('.data', 'media-worker');
  const store = await createObjectStore({
    sink: env.BLOB_CONNECTION_STRING ? 'blob' : 'file',
    blobConnectionString: env.BLOB_CONNECTION_STRING,
    container: env.RECORDINGS_CONTAINER ?? 'recordings',
    dataDir,
  });
  const cosmos = env.COSMOS_ENDPOINT && env.COSMOS_KEY ? { endpoint: env.COSMOS_ENDPOINT, key: env.COSMOS_KEY, database: env.COSMOS_DATABASE ?? 'recorder' } : undefined;
  const recordings = await createRecordingsStore({ cosmos }).catch(() => undefined);
  const verifier = await Ed25519FileSigner.fromFile(env.MANIFEST_SIGNING_KEY_FILE ?? join(dataDir, 'manifest-signing-key.pem'), { createIfMissing: false });
  const verdict = await verifyRecording(manifestBlob ? { manifestBlob } : { callId: callId as string }, { store, verifier, recordings });
  if (recordings && verdict.manifestBlob) {
    const item = await recordings.findByCallId(verdict.callId).catch(() => undefined);
    if (item) await recordings.setIntegrity(item.callId, item.tenantId, verdict.ok ? 'verified' : 'failed', verdict.checkedAt).catch(() => undefined);
  }
  if (json) process.stdout.write(JSON.stringify(verdict, null, 2) + '\n');
  else print(verdict);
  return verdict.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`verify failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
