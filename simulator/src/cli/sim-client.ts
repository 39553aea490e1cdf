// HTTPS client for the simulator's control API (used by the CLI and the capacity tool).
import { request, Agent } from 'node:https';
import { readFileSync } from 'node:fs';

export interface SimClientOptions {
  baseUrl: string;
  /** PEM of the simulator's certificate (else NODE_EXTRA_CA_CERTS / system trust). */
  caFile?: string;
  insecure?: boolean;
  timeoutMs?: number;
}

export interface LegSummary {
  id: string;
  recordedUser: string;
  invitation: number;
  state: string;
  outcome: string | null;
  inviteSentAt: number | null;
  answerLatencyMs: number | null;
  recordingStatus: string | null;
  resultInfo: { code: number; subcode: number; message: string } | null;
}

export interface CallSummary {
  id: string;
  scenario: string;
  state: string;
  legs: LegSummary[];
  users: { key: string; call: string; recording: string; callReason?: string }[];
}

export class SimClient {
  private readonly agent: Agent;
  constructor(private readonly o: SimClientOptions) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 16, ...(o.caFile ? { ca: readFileSync(o.caFile, 'utf8') } : {}), ...(o.insecure ? { rejectUnauthorized: false } : {}) });
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${this.o.baseUrl}${path}`, { method, agent: this.agent, headers: { 'content-type': 'application/json' }, timeout: this.o.timeoutMs ?? 30_000 }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('timeout', () => req.destroy(new Error(`timeout calling ${path}`)));
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
    if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text.slice(0, 500)}`);
    return (res.text ? JSON.parse(res.text) : undefined) as T;
  }

  startCall(scenario: string | Record<string, unknown>, overrides?: Record<string, unknown>): Promise<CallSummary> {
    return this.call('POST', '/_sim/calls', { scenario, ...(overrides ? { overrides } : {}) });
  }

  getCall(id: string): Promise<CallSummary & Record<string, unknown>> {
    return this.call('GET', `/_sim/calls/${id}`);
  }

  async listCalls(): Promise<CallSummary[]> {
    return (await this.call<{ calls: CallSummary[] }>('GET', '/_sim/calls')).calls;
  }

  close(): void {
    this.agent.destroy();
  }
}
