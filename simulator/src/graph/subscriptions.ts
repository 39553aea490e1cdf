// Graph change-notification subscriptions (callRecords feed): validation handshake, renew, notify on new records.
import { randomUUID } from 'node:crypto';
import { badRequest, notFound } from '../http/http-error.js';
import type { Logger } from '../log.js';

export interface Subscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  expirationDateTime: string;
  clientState?: string;
  applicationId: string;
  creatorId: string;
}

const MAX_MINUTES = 4230;
const VALIDATION_TIMEOUT_MS = 10_000;

export class SubscriptionStore {
  private subs = new Map<string, Subscription>();
  constructor(private readonly log: Logger, private readonly tenantId: string) {}

  async create(input: Omit<Subscription, 'id' | 'applicationId' | 'creatorId'>, appId: string): Promise<Subscription> {
    checkExpiry(input.expirationDateTime);
    if (!input.resource.replace(/^\//, '').toLowerCase().startsWith('communications/callrecords')) {
      throw badRequest(`Resource '${input.resource}' is not supported by the simulator (communications/callRecords only).`, 'ExtensionError');
    }
    await validateEndpoint(input.notificationUrl);
    const sub: Subscription = { ...input, id: randomUUID(), applicationId: appId, creatorId: appId };
    this.subs.set(sub.id, sub);
    return sub;
  }

  renew(id: string, expirationDateTime: string): Subscription {
    const sub = this.subs.get(id);
    if (!sub || Date.parse(sub.expirationDateTime) < Date.now()) throw notFound(`Subscription ${id} not found.`, 'ResourceNotFound');
    checkExpiry(expirationDateTime);
    sub.expirationDateTime = expirationDateTime;
    return sub;
  }

  delete(id: string): void {
    if (!this.subs.delete(id)) throw notFound(`Subscription ${id} not found.`, 'ResourceNotFound');
  }

  /** A new call record: POST to every live callRecords subscription (no retries beyond 3 attempts here). */
  notifyCallRecord(recordId: string): void {
    for (const sub of this.subs.values()) {
      if (Date.parse(sub.expirationDateTime) < Date.now()) continue;
      const body = {
        value: [{
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: sub.expirationDateTime,
          clientState: sub.clientState ?? null,
          changeType: 'created',
          resource: `communications/callRecords/${recordId}`,
          tenantId: this.tenantId,
          resourceData: { '@odata.type': '#Microsoft.Graph.callrecord', '@odata.id': `communications/callRecords/${recordId}`, id: recordId },
        }],
      };
      void postWithRetry(sub.notificationUrl, body, this.log);
    }
  }
}

function checkExpiry(iso: string): void {
  const ms = Date.parse(iso) - Date.now();
  if (ms <= 0) throw badRequest('Subscription expiration must be in the future.', 'ExtensionError');
  if (ms > MAX_MINUTES * 60_000 + 60_000) throw badRequest(`Subscription expiration can only be ${MAX_MINUTES} minutes in the future.`, 'ExtensionError');
}

/** Graph POSTs `notificationUrl?validationToken=…` and expects 200 text/plain echoing the token within 10 s. */
async function validateEndpoint(url: string): Promise<void> {
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
  const target = new URL(url);
  target.searchParams.set('validationToken', token);
  let res: Response;
  try {
    res = await fetch(target, { method: 'POST', headers: { 'content-type': 'text/plain' }, signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS) });
  } catch (err) {
    throw badRequest(`Subscription validation request failed: ${String(err)}`, 'ValidationError');
  }
  const text = await res.text();
  if (res.status !== 200 || text !== token) {
    throw badRequest(`Subscription validation request failed. Response must exactly match validationToken query parameter (got HTTP ${res.status}).`, 'ValidationError');
  }
}

async function postWithRetry(url: string, body: unknown, log: Logger): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      if (res.status >= 200 && res.status < 300) return;
    } catch (err) {
      log.warn('change notification failed', { attempt, err: String(err) });
    }
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}
