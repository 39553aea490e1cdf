/** Chooses a media-worker for a new call: healthy first, then fewest calls, then fewest buffered bytes. Pure. */
export interface WorkerCandidate {
  workerId: string;
  controlUrl: string;
  healthy: boolean;
  calls: number;
  bufferBytes: number;
}

export function rankWorkers(candidates: readonly WorkerCandidate[]): WorkerCandidate[] {
  return [...candidates].sort(
    (a, b) =>
      Number(b.healthy) - Number(a.healthy) || a.calls - b.calls || a.bufferBytes - b.bufferBytes || a.workerId.localeCompare(b.workerId),
  );
}

/** Parses `MEDIA_WORKER_URLS` (`workerId=controlUrl,…`). */
export function parseWorkerUrls(value: string): { workerId: string; controlUrl: string }[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new Error(`MEDIA_WORKER_URLS entry "${entry}" is not workerId=url`);
      const workerId = entry.slice(0, eq).trim();
      const controlUrl = entry.slice(eq + 1).trim().replace(/\/+$/, '');
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(workerId)) throw new Error(`MEDIA_WORKER_URLS worker id "${workerId}" is invalid`);
      new URL(controlUrl);
      return { workerId, controlUrl };
    });
}
