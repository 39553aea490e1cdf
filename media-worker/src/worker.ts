// Assembles the media-worker: clients once, registry, durable writer, bridge listener, control API.
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { BridgeServer } from './bridge/bridge-server.js';
import { createObjectStore, createRecordingsStore } from './clients.js';
import type { WorkerConfig } from './config.js';
import { createControlServer } from './control/control-server.js';
import { MediaEventPoster } from './events/media-event-poster.js';
import { createLogger } from './log.js';
import type { RecordingsStore } from './metadata/recordings-store.js';
import { Ed25519FileSigner } from './manifest/signer.js';
import { SessionRegistry } from './session/session-registry.js';
import { deriveTicketKey } from './session/session-ticket.js';
import { DurableWriter } from './storage/durable-writer.js';
import type { ObjectStore } from './storage/object-store.js';
import { SpillJournal } from './storage/spill-journal.js';

export interface RunningWorker {
  controlUrl: string;
  bridgeUrl: string;
  registry: SessionRegistry;
  writer: DurableWriter;
  close(): Promise<void>;
}

export interface WorkerOverrides {
  store?: ObjectStore;
  recordings?: RecordingsStore;
}

export async function startWorker(config: WorkerConfig, overrides: WorkerOverrides = {}): Promise<RunningWorker> {
  const log = createLogger({ svc: 'media-worker', workerId: config.workerId }, config.logLevel);
  const store = overrides.store ?? (await createObjectStore(config));
  const recordings = overrides.recordings ?? (await createRecordingsStore(config));
  const signer = await Ed25519FileSigner.fromFile(config.signingKeyFile);
  const spill = new SpillJournal(config.dataDir);
  await spill.open();
  // A local-file sink is already on local disk: spilling to the same disk would only add fsyncs.
  const primaryTimeoutMs = store.kind === 'file' ? Math.max(config.primaryTimeoutMs, 60_000) : config.primaryTimeoutMs;
  // The file sink group-commits (one writev + fsync per batch): many writes in flight make large batches.
  const maxInFlight = store.kind === 'file' ? Math.max(config.maxInFlightWrites, 4096) : config.maxInFlightWrites;
  const writer = new DurableWriter(store, spill, { primaryTimeoutMs, maxInFlight, drainIntervalMs: 1000 }, log);
  writer.start();
  const events = new MediaEventPoster(
    { baseUrl: config.functionsBaseUrl, sharedKey: config.sharedKey, workerId: config.workerId, maxQueued: 10_000, maxAttempts: 6, initialBackoffMs: 250, requestTimeoutMs: 5000 },
    log,
  );
  const registry = new SessionRegistry(join(config.dataDir, 'sessions'), {
    workerId: config.workerId,
    container: config.container,
    chunkDurationMs: config.chunkDurationMs,
    creditFrames: config.creditFrames,
    writer,
    signer,
    recordings,
    events,
    log,
  }, { key: deriveTicketKey(config.sharedKey), ttlMs: config.ticketTtlMs });
  const loaded = await registry.load();
  const bridge = new BridgeServer(registry, events, { creditFrames: config.creditFrames, heartbeatIntervalMs: config.heartbeatIntervalMs, creditBatch: Math.max(1, Math.floor(config.creditFrames / 4)) }, log);
  const bridgePort = await bridge.listen(config.bridgePort, config.bindHost);
  const bridgeUrl = `tcp://${config.publicHost}:${bridgePort}`;
  const control = createControlServer(
    { registry, workerId: config.workerId, bridgeUrl: () => bridgeUrl, alternateBridges: () => config.alternateBridges.filter((a) => a !== bridgeUrl), bridgeConnections: () => bridge.connectionCount },
    config.sharedKey,
    log,
  );
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(config.controlPort, config.bindHost, () => resolve());
  });
  const controlPort = (control.address() as AddressInfo).port;
  const controlUrl = `http://${config.publicHost}:${controlPort}`;
  const heartbeat = setInterval(() => {
    for (const s of registry.all()) {
      if (s.closed || !s.link) continue;
      events.emit({ type: 'heartbeat', callId: s.record.callId, sessionId: s.id, streams: s.streams.size, framesReceived: s.framesReceived, bufferedBytes: s.bufferedBytes });
    }
  }, config.eventHeartbeatMs);
  heartbeat.unref();
  log.info('media-worker started', { controlUrl, bridgeUrl, sink: store.kind, cosmos: recordings !== undefined, sessionsLoaded: loaded });
  return {
    controlUrl,
    bridgeUrl,
    registry,
    writer,
    async close() {
      clearInterval(heartbeat);
      events.stop();
      writer.stop();
      await bridge.close();
      await new Promise<void>((resolve) => control.close(() => resolve()));
      control.closeAllConnections();
      await registry.persist();
    },
  };
}
