// The scenario the "lost worker comes back after a chain break" tests share: worker A's Blob write of chunk 2 is refused,
// so that chunk is acked from A's spill journal only; A is lost; B adopts the session, records on and seals with a
// declared chain break (seqs 21..30) and a workerLost gap. The caller then brings A back (`envA`, same data folder),
// or `beforeSeal` does, before B seals (A's spill journal drains chunk 2 into B's declared gap first).
import { expect } from 'vitest';
import { decodeLocalMediaConfig, parseBridgeAddress } from '../../../contracts/bridge/index.js';
import { ReserveSessionResponseSchema } from '../../../contracts/worker-api/index.js';
import { ReferenceBridgeClient } from '../../../media-worker/src/bridge/reference-bridge-client.js';
import { createObjectStore } from '../../../media-worker/src/clients.js';
import { SignedManifestSchema, type SignedManifest } from '../../../media-worker/src/manifest/manifest.js';
import { Ed25519FileSigner } from '../../../media-worker/src/manifest/signer.js';
import type { ObjectStore } from '../../../media-worker/src/storage/object-store.js';
import { verifyRecording, type Verdict } from '../../../media-worker/src/verify/verify-recording.js';
import type { RunningWorker } from '../../../media-worker/src/worker.js';
import { tempDir, uniqueName } from '../../helpers/stack-env.js';
import { api, sendFrames, startTestWorker, testConfig, waitFor } from './worker-harness.js';

/** The real Blob store, refusing writes of names that match `blocked` (A's Blob path failing for one chunk). */
function refusing(inner: ObjectStore, blocked: RegExp): ObjectStore {
  return {
    kind: inner.kind,
    putIfAbsent: (name, data, options) => (blocked.test(name) ? Promise.reject(new Error('blob write refused (test)')) : inner.putIfAbsent(name, data, options)),
    get: (name, options) => inner.get(name, options),
    list: (prefix) => inner.list(prefix),
  };
}

export interface SealedAfterHole {
  store: ObjectStore;
  manifest: SignedManifest;
  sealed: Verdict;
  envA: Record<string, string>;
  keyFile: string;
  verifier: Ed25519FileSigner;
  sessionId: string;
  callId: string;
}

/** Runs the scenario above; `workers` collects the started workers for the caller's afterAll. */
export interface HoleScenarioOptions {
  /** Runs after B recorded, before B seals; `store` is the call's Blob store. */
  beforeSeal?: (envA: Record<string, string>, store: ObjectStore, callId: string) => Promise<void>;
}

export async function sealedAfterSpilledChunk(name: string, workers: RunningWorker[], options: HoleScenarioOptions = {}): Promise<SealedAfterHole> {
  const container = uniqueName(name);
  const keyFile = `${await tempDir(`${name}-key`)}/manifest-signing-key.pem`;
  await Ed25519FileSigner.fromFile(keyFile);
  const dataA = await tempDir(`${name}-a`);
  const envA = { MEDIA_WORKER_ID: 'w-a', RECORDINGS_CONTAINER: container, MANIFEST_SIGNING_KEY_FILE: keyFile, MEDIA_WORKER_DATA_DIR: dataA };
  const configA = await testConfig(envA);
  const realStore = await createObjectStore(configA);
  const a = (await startTestWorker(envA, { store: refusing(realStore, /\/mixed\/00000002\.pcm$/) })).worker;
  workers.push(a);
  const { worker: b, config: configB } = await startTestWorker({ MEDIA_WORKER_ID: 'w-b', RECORDINGS_CONTAINER: container, MANIFEST_SIGNING_KEY_FILE: keyFile });
  workers.push(b);

  const callId = uniqueName('call');
  const res = await api(a.controlUrl, 'POST', '/sessions', { callId, callChainId: `chain-${callId}`, tenantId: 'tenant-1', region: 'emea' });
  const cfg = decodeLocalMediaConfig(ReserveSessionResponseSchema.parse(res.json).mediaConfig.blob);
  const onA = new ReferenceBridgeClient({ host: cfg.host, port: cfg.port, sessionId: cfg.sessionId, token: cfg.token, callId });
  await onA.connect();
  await api(a.controlUrl, 'POST', `/sessions/${cfg.sessionId}/recording`, { status: 'granted' });
  onA.startStream(0, 'mixed');
  await sendFrames(onA, 'mixed', 1, 50);
  await onA.waitAcked('mixed', 50, 20_000); // chunk 2 (seqs 21..30) acked from A's spill journal
  expect(a.writer.spilledCount).toBe(1);
  onA.close();
  await a.close(); // A is lost with chunk 2 only in its spill journal

  const { host, port } = parseBridgeAddress(b.bridgeUrl);
  const onB = new ReferenceBridgeClient({ host, port, sessionId: cfg.sessionId, token: cfg.token, callId });
  onB.startStream(0, 'mixed');
  expect((await onB.connect()).durable).toEqual([{ streamId: 'mixed', seq: 50 }]);
  await api(b.controlUrl, 'POST', `/sessions/${cfg.sessionId}/recording`, { status: 'granted' });
  await sendFrames(onB, 'mixed', 51, 80);
  onB.endStream('mixed');
  await onB.waitAcked('mixed', 80, 20_000);
  const store = await createObjectStore(configB);
  await options.beforeSeal?.(envA, store, callId);
  const seal = await api(b.controlUrl, 'POST', `/sessions/${cfg.sessionId}/seal`, {});
  expect(seal.status).toBe(200);
  onB.close();

  const verifier = await Ed25519FileSigner.fromFile(keyFile, { createIfMissing: false });
  if (options.beforeSeal) {
    // A is back already: it files its supplement once B's manifest exists.
    const supplementBlob = String((seal.json as { manifestBlob: string }).manifestBlob).replace(/manifest\.json$/, 'supplement-w-a-1.json');
    await waitFor(async () => (await store.get(supplementBlob)) !== undefined, 30_000, 'A files its supplement');
  }
  const sealed = await verifyRecording({ callId }, { store, verifier });
  expect(sealed).toMatchObject(options.beforeSeal ? { ok: true, completeness: 'completeWithRecovery', missingFrames: 0 } : { ok: true, completeness: 'declaredGaps', missingFrames: 10 });
  const manifest = SignedManifestSchema.parse(JSON.parse((await store.get(sealed.manifestBlob ?? ''))?.data.toString('utf8') ?? '{}'));
  expect(manifest.chainBreaks).toMatchObject([{ streamId: 'mixed', afterIndex: 1, beforeIndex: 3, fromSeq: 21, toSeq: 30 }]);
  return { store, manifest, sealed, envA, keyFile, verifier, sessionId: cfg.sessionId, callId };
}
