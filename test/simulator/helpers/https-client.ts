// HTTPS calls to the simulator trusting its self-signed certificate (the test process cannot use NODE_EXTRA_CA_CERTS).
import { request } from 'node:https';

export interface SimHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => unknown;
}

export function httpsCall(ca: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<SimHttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A fetch-compatible function for jose's customFetch that trusts `ca`. */
export function caFetch(ca: string) {
  return async (url: string, options: { headers: Headers; method: string }): Promise<Response> => {
    const r = await httpsCall(ca, url, { method: options.method, headers: Object.fromEntries(options.headers.entries()) });
    return new Response(r.text, { status: r.status, headers: { 'content-type': String(r.headers['content-type'] ?? 'application/json') } });
  };
}
