// Starts the simulator in-process on port 0 and gives tests typed helpers for its control, login and Graph APIs.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../simulator/src/server.js';
import { createLogger } from '../../../simulator/src/log.js';
import { httpsCall, type SimHttpResponse } from './https-client.js';

export const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';
export const BOT_APP_ID = 'e5f6a7b8-0000-4000-8000-0000000000b0';
export const BOT_SECRET = 'test-secret-123';

export interface Harness {
  sim: Simulator;
  ca: string;
  groundTruthDir: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<SimHttpResponse>;
  appToken(): Promise<string>;
  graph(method: string, path: string, body?: unknown, token?: string): Promise<SimHttpResponse>;
  startCall(scenario: unknown, overrides?: Record<string, unknown>, notificationUrl?: string): Promise<{ id: string; legs: { id: string }[] }>;
  getCall(id: string): Promise<CallState>;
  waitFor(id: string, pred: (c: CallState) => boolean, timeoutMs?: number): Promise<CallState>;
  close(): Promise<void>;
}

export interface CallState {
  id: string;
  state: string;
  legs: { id: string; state: string; inviteSentAt: number | null; outcome: string | null; answerLatencyMs: number | null; recordingStatus: string | null; resultInfo: { code: number; subcode: number } | null; invitation: number }[];
  users: { key: string; call: string; recording: string; history: { status: string }[] }[];
  timeline: { type: string; detail?: Record<string, unknown> }[];
  deliveries: { legId: string; kind: string; attempts: number; status: number | string; duplicate?: boolean }[];
  groundTruth: Record<string, { streams: { streamId: string; frames: number; bytes: number; sha256: string }[]; media: { replayedFrames: number; connects: number } | null }>;
}

export async function startHarness(options: SimulatorOptions = {}, env: { recorderUrl?: string } = {}): Promise<Harness> {
  const groundTruthDir = await mkdtemp(join(tmpdir(), 'sim-gt-test-'));
  const sim = await startSimulator(
    { port: 0, host: '127.0.0.1', botAppId: BOT_APP_ID, botAppSecret: BOT_SECRET, tenantId: TENANT, recorderNotificationUrl: env.recorderUrl, groundTruthDir, clockScale: 1 },
    { log: createLogger({}, true), ...options },
  );
  const ca = await readFile(sim.certFile, 'utf8');
  let cached: string | undefined;
  const h: Harness = {
    sim,
    ca,
    groundTruthDir,
    call: (method, path, body, headers = {}) =>
      httpsCall(ca, `${sim.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) }),
    appToken: async () => {
      if (cached) return cached;
      const r = await httpsCall(ca, `${sim.url}/${TENANT}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: BOT_APP_ID, client_secret: BOT_SECRET, scope: 'https://graph.microsoft.com/.default' }).toString(),
      });
      if (r.status !== 200) throw new Error(`token: ${r.status} ${r.text}`);
      cached = (r.json() as { access_token: string }).access_token;
      return cached;
    },
    graph: async (method, path, body, token) => h.call(method, `/v1.0${path}`, body, { authorization: `Bearer ${token ?? (await h.appToken())}` }),
    startCall: async (scenario, overrides, notificationUrl) => {
      const r = await h.call('POST', '/_sim/calls', { scenario, ...(overrides ? { overrides } : {}), ...(notificationUrl ? { notificationUrl } : {}) });
      if (r.status !== 201) throw new Error(`start call: ${r.status} ${r.text}`);
      return r.json() as { id: string; legs: { id: string }[] };
    },
    getCall: async (id) => (await h.call('GET', `/_sim/calls/${id}`)).json() as CallState,
    waitFor: async (id, pred, timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      let last: CallState | undefined;
      while (Date.now() < until) {
        last = await h.getCall(id);
        if (pred(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`condition not reached; last state: ${JSON.stringify(last, null, 1).slice(0, 3000)}`);
    },
    close: () => sim.close(),
  };
  return h;
}

/** A minimal valid scenario for tests: 1:1, one recorded Teams user, no media unless asked. */
export function p2pScenario(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test-p2p',
    kind: 'p2p',
    direction: 'inbound',
    participants: [
      { key: 'alice', kind: 'user', recorded: true },
      { key: 'bob', kind: 'pstn', phone: '+4930123456' },
    ],
    durationMs: 60_000,
    media: { enabled: false },
    ...extra,
  };
}
