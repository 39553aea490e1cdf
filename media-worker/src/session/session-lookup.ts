// HELLO → session: a session this worker holds (token compared in constant time), or one another worker of the pool
// reserved, adopted on the strength of its ticket (session-ticket.ts). Pure decision apart from the registry.
import { timingSafeEqual } from 'node:crypto';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';
import { verifyTicket } from './session-ticket.js';

export interface HelloIdentity {
  sessionId: string;
  token: string;
  callId: string;
}

export type SessionLookup =
  | { ok: true; session: Session; adopted: boolean }
  | { ok: false; code: 'authFailed' | 'unknownSession'; message: string };

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function lookupSession(registry: SessionRegistry, hello: HelloIdentity, now: Date): Promise<SessionLookup> {
  const held = registry.get(hello.sessionId);
  if (held) {
    if (!tokensEqual(hello.token, held.record.token) || hello.callId !== held.record.callId) {
      return { ok: false, code: 'authFailed', message: 'token or call id does not match the session' };
    }
    return { ok: true, session: held, adopted: false };
  }
  if (!hello.token.startsWith('t1.')) return { ok: false, code: 'unknownSession', message: 'no such session' };
  const check = verifyTicket(hello.token, registry.tickets.key, now);
  if (!check.ok) return { ok: false, code: 'authFailed', message: check.reason };
  const d = check.descriptor;
  if (d.sessionId !== hello.sessionId) return { ok: false, code: 'unknownSession', message: 'no such session (the ticket names another one)' };
  if (d.callId !== hello.callId) return { ok: false, code: 'authFailed', message: 'ticket names another call' };
  const session = await registry.adopt(d, hello.token);
  return { ok: true, session, adopted: true };
}
