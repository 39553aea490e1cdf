// Control API handlers, one function per route (verb-resource); routes.ts lists them all.
import { encodeLocalMediaConfig } from '../../../contracts/bridge/index.js';
import {
  RecordingGrantRequestSchema,
  ReserveSessionRequestSchema,
  RosterUpdateSchema,
  SealRequestSchema,
  type ReserveSessionResponse,
  type SessionInfo,
} from '../../../contracts/worker-api/index.js';
import type { Session } from '../session/session.js';
import type { SessionRegistry } from '../session/session-registry.js';
import { HttpError } from './http-error.js';

export interface HandlerContext {
  registry: SessionRegistry;
  workerId: string;
  bridgeUrl: () => string;
  /** Other workers of the pool the bridge may move to (local media config `alternates`). */
  alternateBridges: () => string[];
  bridgeConnections: () => number;
}

export interface HandlerResult {
  status: number;
  body: unknown;
}

export type Handler = (ctx: HandlerContext, params: Record<string, string>, body: unknown) => Promise<HandlerResult>;

function sessionOf(ctx: HandlerContext, params: Record<string, string>): Session {
  const session = ctx.registry.get(params.sessionId ?? '');
  if (!session) throw new HttpError(404, 'notFound', 'no such session');
  return session;
}

function info(ctx: HandlerContext, s: Session): SessionInfo {
  const r = s.record;
  return {
    sessionId: r.sessionId,
    workerId: ctx.workerId,
    callId: r.callId,
    tenantId: r.tenantId,
    state: r.state,
    bridgeConnected: s.link !== undefined,
    streams: s.summaries(),
    gaps: r.sealed?.gaps ?? [],
    createdAt: r.createdAt,
  };
}

export const createSession: Handler = async (ctx, _params, body) => {
  const req = ReserveSessionRequestSchema.parse(body);
  const { session, created } = await ctx.registry.reserve(req);
  if (!created && (session.record.tenantId !== req.tenantId || session.record.callChainId !== req.callChainId)) {
    throw new HttpError(409, 'conflict', 'a session for this callId exists with another tenant or chain id');
  }
  const alternates = ctx.alternateBridges();
  const blob = encodeLocalMediaConfig({
    v: 1, bridge: ctx.bridgeUrl(), sessionId: session.id, token: session.record.token, ...(alternates.length > 0 ? { alternates } : {}),
  });
  const res: ReserveSessionResponse = { sessionId: session.id, workerId: ctx.workerId, mediaConfig: { blob } };
  return { status: created ? 201 : 200, body: res };
};

export const getSession: Handler = async (ctx, params) => ({ status: 200, body: info(ctx, sessionOf(ctx, params)) });

export const setRecording: Handler = async (ctx, params, body) => {
  const req = RecordingGrantRequestSchema.parse(body);
  const session = sessionOf(ctx, params);
  await session.setGrant(req.status, req.clientContext, req.final ?? true);
  return { status: 200, body: info(ctx, session) };
};

export const updateRoster: Handler = async (ctx, params, body) => {
  const roster = RosterUpdateSchema.parse(body);
  const session = sessionOf(ctx, params);
  if (session.closed) throw new HttpError(409, 'sessionClosed', `session is ${session.record.state}`);
  const current = session.record.roster;
  if (current?.sequenceNumber !== undefined && roster.sequenceNumber !== undefined && roster.sequenceNumber < current.sequenceNumber) {
    return { status: 200, body: { applied: false, reason: 'stale roster sequence number' } };
  }
  session.record.roster = roster;
  await ctx.registry.persist(session.id);
  return { status: 200, body: { applied: true } };
};

export const sealSession: Handler = async (ctx, params, body) => {
  SealRequestSchema.parse(body ?? {});
  const session = sessionOf(ctx, params);
  return { status: 200, body: await session.seal() };
};

export const deleteSession: Handler = async (ctx, params) => {
  const session = sessionOf(ctx, params);
  if (session.record.state !== 'released') await session.release();
  return { status: 200, body: info(ctx, session) };
};

export const getLoad: Handler = async (ctx) => ({ status: 200, body: ctx.registry.loadReport(ctx.workerId, ctx.bridgeConnections()) });

export const getHealth: Handler = async (ctx) => ({ status: 200, body: { status: 'ok', workerId: ctx.workerId, bridge: ctx.bridgeUrl() } });
