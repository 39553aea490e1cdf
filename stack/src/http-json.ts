import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface JsonRequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  /** Trusted for HTTPS (this process may have started without NODE_EXTRA_CA_CERTS). */
  readonly caFile?: string;
  readonly timeoutMs: number;
}

export interface JsonResponse {
  readonly status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  readonly body: unknown;
}

/** A small JSON request over http or https with an explicit CA. */
export async function requestJson(url: string, options: JsonRequestOptions): Promise<JsonResponse> {
  const isHttps = url.startsWith('https:');
  const ca = isHttps && options.caFile ? await readFile(options.caFile) : undefined;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const request = isHttps ? httpsRequest : httpRequest;
  return new Promise<JsonResponse>((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        timeout: options.timeoutMs,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        ...(ca ? { ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out after ${options.timeoutMs} ms`)));
    req.once('error', reject);
    req.end(payload);
  });
}
