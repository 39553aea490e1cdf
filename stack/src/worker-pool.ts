// The stack's media-worker pool: N workers (default 2) started together, each naming the others' bridges as
// alternates (the session ticket lets any of them adopt a call whose worker is lost), all in MEDIA_WORKER_URLS.
import type { StackLayout } from './layout.js';
import { MEDIA_WORKER_ENTRY, startMediaWorker, type MediaWorkerSettings } from './parts/media-worker.js';
import type { PartOptions, RunningPart } from './parts/running-part.js';
import type { StackPorts } from './ports.js';
import { choosePort, LOOPBACK } from './process/free-port.js';
import type { PartName } from './stack.js';

type Optional = (name: PartName, entry: string, start: () => Promise<RunningPart>) => Promise<RunningPart | undefined>;

export interface WorkerPoolOptions extends PartOptions {
  readonly layout: StackLayout;
  /** What every worker of the pool shares. */
  readonly settings: Omit<MediaWorkerSettings, 'workerId' | 'controlPort' | 'bridgePort' | 'dataDir' | 'alternateBridges'>;
}

export interface WorkerPool {
  /** The workers that started, in order. */
  readonly workers: ReadonlyArray<{ workerId: string; part: RunningPart }>;
  /** `workerId=controlUrl,…` of the running workers, for the Functions app. */
  readonly mediaWorkerUrls: string;
}

export function workerIdOf(k: number): string {
  return `worker-${k}`;
}

/** Worker k (1-based): ids `worker-k`, ports preferred next to the first worker's, spill journals apart. */
export async function startWorkerPool(count: number, ports: StackPorts, optional: Optional, options: WorkerPoolOptions): Promise<WorkerPool> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`workers must be an integer >= 1 (got ${count})`);
  const planned: Array<{ k: number; workerId: string; controlPort: number; bridgePort: number; dataDir: string }> = [];
  for (let k = 1; k <= count; k++) {
    const offset = 2 * (k - 1);
    const controlPort = await choosePort(ports.workerControl === 0 ? 0 : ports.workerControl + offset);
    const bridgePort = await choosePort(ports.workerBridge === 0 ? 0 : ports.workerBridge + offset);
    const dataDir = k === 1 ? options.layout.mediaWorkerDir : `${options.layout.mediaWorkerDir}-${k}`;
    planned.push({ k, workerId: workerIdOf(k), controlPort, bridgePort, dataDir });
  }
  const bridges = planned.map((p) => `tcp://${options.settings.publicHost}:${p.bridgePort}`);
  const started = await Promise.all(
    planned.map((p, i) =>
      optional(p.k === 1 ? 'media-worker' : `media-worker-${p.k}`, MEDIA_WORKER_ENTRY, () =>
        startMediaWorker({
          caFile: options.caFile,
          log: options.log,
          partName: p.k === 1 ? 'media-worker' : `media-worker-${p.k}`,
          settings: {
            ...options.settings,
            workerId: p.workerId,
            controlPort: p.controlPort,
            bridgePort: p.bridgePort,
            dataDir: p.dataDir,
            alternateBridges: bridges.filter((_, j) => j !== i),
          },
        }),
      ),
    ),
  );
  const workers = planned.flatMap((p, i) => {
    const part = started[i];
    return part ? [{ workerId: p.workerId, part }] : [];
  });
  // Only workers that run take calls; with none running, the planned URLs keep the app's settings well-formed.
  const listed = workers.length > 0 ? workers.map((w) => `${w.workerId}=${w.part.url}`) : planned.map((p) => `${p.workerId}=http://${LOOPBACK}:${p.controlPort}`);
  const mediaWorkerUrls = listed.join(',');
  return { workers, mediaWorkerUrls };
}
