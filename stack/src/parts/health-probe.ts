import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * GET `url` (http or https) and resolve with the status code. HTTPS trusts `caFile` explicitly, so it works even
 * when this process started without NODE_EXTRA_CA_CERTS.
 */
export async function getStatus(url: string, options: { caFile?: string; timeoutMs: number }): Promise<number> {
  const isHttps = url.startsWith('https:');
  const ca = isHttps && options.caFile ? await readFile(options.caFile) : undefined;
  const request = isHttps ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: options.timeoutMs, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${options.timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

/** Polls `url` until it answers `expected` (any status when undefined) or `timeoutMs` passes. */
export async function waitForHealthy(
  url: string,
  options: { caFile?: string; timeoutMs: number; expected?: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const status = await getStatus(url, { caFile: options.caFile, timeoutMs: Math.max(1_000, deadline - Date.now()) });
      if (options.expected === undefined || status === options.expected) return;
      last = `status ${status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`${url} not healthy within ${options.timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

/** Single HTTPS GET that must get any answer: the TLS handshake with our CA is the check. */
export async function httpsProbe(url: string, caFile: string, timeoutMs: number): Promise<void> {
  await waitForHealthy(url, { caFile, timeoutMs });
}
