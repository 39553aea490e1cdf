// Session tickets: the bridge token is a capability any worker of the pool can check without asking the worker that
// issued it. token = "t1." + base64url(descriptor JSON) + "." + base64url(HMAC-SHA256(ticketKey, "t1." + payload)),
// where ticketKey = HMAC-SHA256(WORKER_SHARED_KEY, "recorder bridge ticket v1") (a key of its own, derived once).
// Pure apart from the HMAC; the clock is passed in.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const PREFIX = 't1.';

export const TicketDescriptorSchema = z.object({
  sessionId: z.string().min(1).max(64),
  callId: z.string().min(1).max(256),
  callChainId: z.string().min(1).max(256),
  tenantId: z.string().min(1).max(128),
  region: z.string().min(1).max(64),
  /** The session's creation time: fixes the recording's date path ({yyyy}/{mm}/{dd}) on every worker. */
  createdAt: z.iso.datetime(),
  /** The worker that reserved the session. */
  issuer: z.string().min(1).max(128),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type TicketDescriptor = z.infer<typeof TicketDescriptorSchema>;

export type TicketCheck = { ok: true; descriptor: TicketDescriptor } | { ok: false; reason: string };

export function deriveTicketKey(sharedKey: string): Buffer {
  return createHmac('sha256', sharedKey).update('recorder bridge ticket v1').digest();
}

function mac(key: Buffer, signed: string): Buffer {
  return createHmac('sha256', key).update(signed).digest();
}

export function issueTicket(descriptor: TicketDescriptor, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify(TicketDescriptorSchema.parse(descriptor)), 'utf8').toString('base64url');
  const signed = `${PREFIX}${payload}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/** Checks the MAC first (constant time), then the descriptor and its expiry. */
export function verifyTicket(token: string, key: Buffer, now: Date): TicketCheck {
  if (!token.startsWith(PREFIX)) return { ok: false, reason: 'not a session ticket' };
  const dot = token.lastIndexOf('.');
  if (dot <= PREFIX.length) return { ok: false, reason: 'malformed ticket' };
  const signed = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(key, signed);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'ticket signature does not verify' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(signed.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'ticket payload is not JSON' };
  }
  const parsed = TicketDescriptorSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'ticket payload is malformed' };
  if (Date.parse(parsed.data.expiresAt) <= now.getTime()) return { ok: false, reason: 'ticket expired' };
  return { ok: true, descriptor: parsed.data };
}
