// The Graph API subset under /v1.0 that the recorder calls. Every route checks the bearer token first.
import type { Route, SimRequest, SimResponse } from '../http/router.js';
import { parseJson } from '../http/router.js';
import { notFound } from '../http/http-error.js';
import { verifyGraphBearer, type GraphCaller } from '../auth/bearer.js';
import type { KeyRing } from '../auth/key-ring.js';
import type { CallEngine } from '../teams/call-engine.js';
import { callResource, participantResource } from '../notify/payloads.js';
import type { CallRecordStore } from './call-records.js';
import type { SubscriptionStore } from './subscriptions.js';
import { answerSchema, createSubscriptionSchema, patchSubscriptionSchema, rejectSchema, updateRecordingStatusSchema } from './request-schemas.js';

export interface GraphDeps {
  ring: KeyRing;
  issuer: () => string;
  tenantId: string;
  engine: CallEngine;
  records: CallRecordStore;
  subscriptions: SubscriptionStore;
  baseUrl: () => string;
}

export function graphRoutes(d: GraphDeps): Route[] {
  const authed = (h: (req: SimRequest, caller: GraphCaller) => Promise<SimResponse> | SimResponse) => async (req: SimRequest) => {
    const caller = await verifyGraphBearer(req.headers.authorization, d.ring, { issuer: d.issuer(), tenantId: d.tenantId });
    return h(req, caller);
  };
  const id = (req: SimRequest): string => req.params.id ?? '';
  const calls = '/v1.0/communications/calls/:id';

  return [
    { method: 'POST', path: `${calls}/answer`, handler: authed((req) => {
      const body = parseJson(req, answerSchema);
      const blob = 'blob' in body.mediaConfig ? body.mediaConfig.blob : undefined;
      d.engine.answer(id(req), body.callbackUri, blob);
      return { status: 202 };
    }) },
    { method: 'POST', path: `${calls}/reject`, handler: authed((req) => {
      const body = parseJson(req, rejectSchema);
      d.engine.reject(id(req), body.reason ?? 'none');
      return { status: 202 };
    }) },
    { method: 'POST', path: `${calls}/updateRecordingStatus`, handler: authed((req) => {
      const body = parseJson(req, updateRecordingStatusSchema);
      const op = d.engine.updateRecordingStatus(id(req), body.status, body.clientContext);
      return {
        status: 200,
        headers: { location: `${d.baseUrl()}/v1.0/communications/calls/${id(req)}/operations/${op.id}` },
        body: { '@odata.type': '#microsoft.graph.updateRecordingStatusOperation', clientContext: body.clientContext, id: op.id, resultInfo: null, status: op.status },
      };
    }) },
    { method: 'POST', path: `${calls}/keepAlive`, handler: authed((req) => {
      d.engine.keepAlive(id(req));
      return { status: 200 };
    }) },
    { method: 'DELETE', path: calls, handler: authed((req) => {
      d.engine.hangUp(id(req));
      return { status: 204 };
    }) },
    { method: 'GET', path: calls, handler: authed((req) => {
      const leg = d.engine.getLeg(id(req));
      if (!leg || leg.state === 'terminated') throw notFound(`Call ${id(req)} not found.`, '8519');
      const c = d.engine.conversationOf(leg);
      return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#communications/calls/$entity', ...callResource(c, leg, leg.state, { mode: 'camel', counter: 0 }) } };
    }) },
    { method: 'GET', path: `${calls}/participants`, handler: authed((req) => {
      const leg = d.engine.getLeg(id(req));
      if (!leg || leg.state === 'terminated') throw notFound(`Call ${id(req)} not found.`, '8519');
      const c = d.engine.conversationOf(leg);
      return { status: 200, body: { value: c.participants.filter((p) => p.inCall).map((p) => participantResource(p)) } };
    }) },
    { method: 'GET', path: `${calls}/operations/:opId`, handler: authed((req) => {
      const op = d.engine.getLeg(id(req))?.operations.find((o) => o.id === req.params.opId);
      if (!op) throw notFound(`Operation ${req.params.opId ?? ''} not found.`);
      return { status: 200, body: { '@odata.type': '#microsoft.graph.updateRecordingStatusOperation', id: op.id, clientContext: op.clientContext, status: op.status, resultInfo: null } };
    }) },
    { method: 'GET', path: '/v1.0/communications/callRecords/:id', handler: authed((req) => {
      const rec = d.records.get(id(req));
      if (!rec) throw notFound(`Call record ${id(req)} not found (not generated yet or older than 30 days).`, 'NotFound');
      const expand = req.query.get('$expand') ?? '';
      if (expand.includes('sessions')) return { status: 200, body: rec };
      const { sessions: _s, 'sessions@odata.context': _c, ...rest } = rec;
      return { status: 200, body: rest };
    }) },
    { method: 'POST', path: '/v1.0/subscriptions', handler: authed(async (req, caller) => {
      const body = parseJson(req, createSubscriptionSchema);
      const sub = await d.subscriptions.create(body, caller.appId);
      return { status: 201, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity', ...sub } };
    }) },
    { method: 'PATCH', path: '/v1.0/subscriptions/:id', handler: authed((req) => {
      const body = parseJson(req, patchSubscriptionSchema);
      return { status: 200, body: d.subscriptions.renew(id(req), body.expirationDateTime) };
    }) },
    { method: 'DELETE', path: '/v1.0/subscriptions/:id', handler: authed((req) => {
      d.subscriptions.delete(id(req));
      return { status: 204 };
    }) },
  ];
}
