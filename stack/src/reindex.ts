/**
 * cosmosdb-server keeps everything in memory, so after every Cosmos start the app's index must be rebuilt from Blob.
 * The extension point: the app may expose `POST /api/ops/reindex` (admin key); the stack calls it when the local
 * host is up after Cosmos started. A 404 means the app has no such route (yet) and is not an error.
 */
export const REINDEX_PATH = '/api/ops/reindex';

export type ReindexOutcome =
  | { readonly kind: 'done'; readonly status: number; readonly body: string }
  | { readonly kind: 'absent' }
  | { readonly kind: 'failed'; readonly reason: string };

export interface ReindexOptions {
  readonly hostUrl: string;
  /** Sent as `x-functions-key`. */
  readonly masterKey: string;
  readonly timeoutMs?: number;
}

export async function requestReindex(options: ReindexOptions): Promise<ReindexOutcome> {
  try {
    const res = await fetch(`${options.hostUrl}${REINDEX_PATH}`, {
      method: 'POST',
      headers: { 'x-functions-key': options.masterKey, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
    });
    const body = await res.text();
    if (res.status === 404) return { kind: 'absent' };
    if (!res.ok) return { kind: 'failed', reason: `HTTP ${res.status}: ${body.slice(0, 300)}` };
    return { kind: 'done', status: res.status, body: body.slice(0, 1_000) };
  } catch (err) {
    return { kind: 'failed', reason: err instanceof Error ? err.message : String(err) };
  }
}
