// The simulator's control API (/_sim/...): start scenario calls, inspect them, faults, key rotation, clock.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Route, SimRequest } from '../http/router.js';
import { parseJson } from '../http/router.js';
import { badRequest, notFound } from '../http/http-error.js';
import { defaultEnd, type CallEngine } from '../teams/call-engine.js';
import type { Conversation } from '../teams/model.js';
import { parseScenario } from '../teams/scenario.js';
import { listScenarios, loadScenario } from '../teams/scenario-files.js';
import { faultsSchema, type Faults } from '../notify/faults.js';
import type { KeyRing } from '../auth/key-ring.js';
import type { SimClock } from '../teams/clock.js';

export interface ControlDeps {
  engine: CallEngine;
  clock: SimClock;
  callbackRing: KeyRing;
  loginRing: KeyRing;
  getFaults: () => Faults;
  mediaStats: () => unknown;
  /** Event-loop delay percentiles since the last call (ms). */
  loopDelay: () => { p50: number; p99: number; max: number };
  setFaults: (f: Faults) => void;
}

const startSchema = z.object({
  scenario: z.union([z.string(), z.record(z.string(), z.unknown())]),
  /** Shallow overrides on the scenario (durationMs, faults, media, policy, notificationUrl...). */
  overrides: z.record(z.string(), z.unknown()).optional(),
  notificationUrl: z.url().optional(),
});

export function summary(c: Conversation): Record<string, unknown> {
  return {
    id: c.id,
    callChainId: c.callChainId,
    scenario: c.scenario.name,
    state: c.state,
    startedAt: c.startedAt,
    endedAt: c.endedAt ?? null,
    legs: c.legs.map((l) => ({
      id: l.id, recordedUser: l.recordedKey, invitation: l.invitation, state: l.state, outcome: l.outcome ?? null,
      inviteSentAt: l.inviteSentAt ?? null,
      answerLatencyMs: l.answerLatencyMs ?? null, recordingStatus: l.recordingStatus ?? null, resultInfo: l.resultInfo ?? null,
    })),
    users: [...c.users.values()],
  };
}

export function controlRoutes(d: ControlDeps): Route[] {
  const conv = (req: SimRequest): Conversation => {
    const c = d.engine.conversations.get(req.params.id ?? '');
    if (!c) throw notFound(`No simulated call ${req.params.id ?? ''}`);
    return c;
  };
  return [
    { method: 'GET', path: '/health', handler: () => ({ status: 200, body: { status: 'ok' } }) },
    { method: 'GET', path: '/_sim/scenarios', handler: async () => ({ status: 200, body: { scenarios: await listScenarios() } }) },
    { method: 'POST', path: '/_sim/calls', handler: async (req) => {
      const body = parseJson(req, startSchema);
      let scenario;
      try {
        const base = typeof body.scenario === 'string' ? await loadScenario(body.scenario) : body.scenario;
        scenario = parseScenario({ ...base, ...(body.overrides ?? {}) });
      } catch (err) {
        throw badRequest(`Bad scenario: ${err instanceof Error ? err.message : String(err)}`, 'BadScenario');
      }
      const c = d.engine.start(scenario, body.notificationUrl ? { notificationUrl: body.notificationUrl } : {});
      return { status: 201, body: summary(c) };
    } },
    { method: 'GET', path: '/_sim/calls', handler: () => ({ status: 200, body: { calls: [...d.engine.conversations.values()].map(summary) } }) },
    { method: 'GET', path: '/_sim/calls/:id', handler: async (req) => {
      const c = conv(req);
      const groundTruth: Record<string, unknown> = {};
      for (const [legId, file] of Object.entries(c.groundTruthFiles)) {
        groundTruth[legId] = JSON.parse(await readFile(file, 'utf8')) as unknown;
      }
      return { status: 200, body: { ...summary(c), timeline: c.timeline, deliveries: c.deliveries, groundTruthFiles: c.groundTruthFiles, groundTruth } };
    } },
    { method: 'POST', path: '/_sim/calls/:id/end', handler: async (req) => {
      const c = conv(req);
      await d.engine.endConversation(c, c.scenario.endResult ?? defaultEnd(c), 'ended via control API');
      return { status: 200, body: summary(c) };
    } },
    { method: 'GET', path: '/_sim/stats', handler: () => ({
      status: 200,
      body: {
        conversations: d.engine.conversations.size,
        activeConversations: [...d.engine.conversations.values()].filter((c) => c.state !== 'ended').length,
        media: d.mediaStats(),
        eventLoopDelayMs: d.loopDelay(),
        memoryRssMb: Math.round(process.memoryUsage().rss / 1048576),
      },
    }) },
    { method: 'GET', path: '/_sim/faults', handler: () => ({ status: 200, body: d.getFaults() }) },
    { method: 'POST', path: '/_sim/faults', handler: (req) => {
      const f = parseJson(req, faultsSchema.strict());
      d.setFaults(f);
      return { status: 200, body: f };
    } },
    { method: 'POST', path: '/_sim/rotate-keys', handler: async (req) => {
      const { which } = parseJson(req, z.object({ which: z.enum(['callback', 'login', 'both']).default('callback') }));
      if (which !== 'login') await d.callbackRing.rotate();
      if (which !== 'callback') await d.loginRing.rotate();
      return { status: 200, body: { callbackKids: d.callbackRing.kids(), loginKids: d.loginRing.kids() } };
    } },
    { method: 'GET', path: '/_sim/clock', handler: () => ({ status: 200, body: { now: new Date(d.clock.now()).toISOString(), scale: d.clock.getScale() } }) },
    { method: 'POST', path: '/_sim/clock', handler: (req) => {
      const b = parseJson(req, z.object({ scale: z.number().positive().max(100_000).optional(), advanceMs: z.number().int().min(0).optional() }));
      if (b.scale !== undefined) d.clock.setScale(b.scale);
      if (b.advanceMs !== undefined) d.clock.advance(b.advanceMs);
      return { status: 200, body: { now: new Date(d.clock.now()).toISOString(), scale: d.clock.getScale() } };
    } },
  ];
}
