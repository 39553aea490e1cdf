import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { CallbackReceiver } from '../../functions/webhook/receiver.js';
import { HttpError } from '../../functions/webhook/http-error.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';
const CALL = '3a1f0500-1111-4a2b-8c3d-000000000001';

let server: Server;
let base: string;
let signing: { privateKey: CryptoKey; kid: string };
let other: { privateKey: CryptoKey; kid: string };
const jwks: { keys: JWK[] } = { keys: [] };
let jwksHits = 0;

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, kid, jwk };
}

beforeAll(async () => {
  const a = await keyPair('key-a');
  const b = await keyPair('key-b');
  signing = a;
  other = b;
  jwks.keys = [a.jwk];
  server = createServer((req, res) => {
    if (req.url === '/openid') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: 'https://api.botframework.com', jwks_uri: `${base}/keys` }));
    } else if (req.url === '/keys') {
      jwksHits += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
      // rotation: once b is published, later fetches serve both
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // publish key b later (rotation) via a flag
  rotateTo = () => {
    jwks.keys = [a.jwk, b.jwk];
  };
});
let rotateTo: () => void = () => undefined;

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function receiver() {
  return new CallbackReceiver({ openIdConfigurationUrl: `${base}/openid`, audience: APP_ID, allowedTenantIds: [TENANT] });
}

async function token(opts: { key?: { privateKey: CryptoKey; kid: string }; iss?: string; aud?: string; tid?: string | null; exp?: string | number; alg?: string } = {}) {
  const key = opts.key ?? signing;
  const claims: Record<string, unknown> = {};
  if (opts.tid !== null) claims.tid = opts.tid ?? TENANT;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT', cty: 'JWT' })
    .setIssuer(opts.iss ?? 'https://graph.microsoft.com')
    .setAudience(opts.aud ?? APP_ID)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '10m')
    .sign(key.privateKey);
}

const body = JSON.stringify({
  value: [{ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}`, resourceData: { state: 'established' } }],
});

async function status(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof HttpError) return err.status;
    throw err;
  }
}

describe('CallbackReceiver', () => {
  it('accepts a valid Graph or Bot Framework token and classifies the body', async () => {
    const r = receiver();
    const batch = await r.receive(`Bearer ${await token()}`, body);
    expect(batch.tenantId).toBe(TENANT);
    expect(batch.notifications[0]).toMatchObject({ kind: 'callState', state: 'established', callId: CALL });
    await expect(r.receive(`Bearer ${await token({ iss: 'https://api.botframework.com' })}`, body)).resolves.toBeTruthy();
  });

  it('refuses forged, expired, misaddressed and foreign-tenant tokens with 401', async () => {
    const r = receiver();
    expect(await status(r.receive(undefined, body))).toBe(401);
    expect(await status(r.receive('Basic abc', body))).toBe(401);
    expect(await status(r.receive(`Bearer ${await token({ aud: 'someone-else' })}`, body))).toBe(401);
    expect(await status(r.receive(`Bearer ${await token({ iss: 'https://evil.example' })}`, body))).toBe(401);
    expect(await status(r.receive(`Bearer ${await token({ exp: Math.floor(Date.now() / 1000) - 3600 })}`, body))).toBe(401);
    expect(await status(r.receive(`Bearer ${await token({ tid: null })}`, body))).toBe(401);
    expect(await status(r.receive(`Bearer ${await token({ tid: 'bbbbbbbb-1111-2222-3333-444444444444' })}`, body))).toBe(401);
    // signed by a key that is not published
    expect(await status(r.receive(`Bearer ${await token({ key: other })}`, body))).toBe(401);
    // HS256 with the public key material as secret (algorithm confusion)
    const hs = await new SignJWT({ tid: TENANT })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-a' })
      .setIssuer('https://graph.microsoft.com').setAudience(APP_ID).setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await status(r.receive(`Bearer ${hs}`, body))).toBe(401);
    // tampered payload
    const good = await token();
    const [h, , s] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ tid: TENANT, aud: APP_ID, iss: 'https://graph.microsoft.com', exp: 9999999999 })).toString('base64url');
    expect(await status(r.receive(`Bearer ${h}.${forgedPayload}.${s}`, body))).toBe(401);
  });

  it('checks the token before the body: a forged token with a bad body is 401, a good token with a bad body is 400', async () => {
    const r = receiver();
    expect(await status(r.receive('Bearer abc.def.ghi', '{not json'))).toBe(401);
    const t = `Bearer ${await token()}`;
    expect(await status(r.receive(t, '{not json'))).toBe(400);
    expect(await status(r.receive(t, JSON.stringify({ value: [] })))).toBe(400);
    expect(await status(r.receive(t, JSON.stringify({ value: [{ changeType: 'updated', resourceUrl: '/users/x' }] })))).toBe(400);
    const err = await r.receive(t, JSON.stringify({ value: [{ changeType: 'nope', resourceUrl: `/communications/calls/${CALL}` }] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).reason).toMatch(/changeType/);
  });

  it('picks up a rotated signing key on an unknown kid', async () => {
    const r = new CallbackReceiver({ openIdConfigurationUrl: `${base}/openid`, audience: APP_ID, allowedTenantIds: [TENANT], jwksCooldownMs: 0 });
    await r.receive(`Bearer ${await token()}`, body);
    const before = jwksHits;
    rotateTo();
    await expect(r.receive(`Bearer ${await token({ key: other })}`, body)).resolves.toBeTruthy();
    expect(jwksHits).toBeGreaterThan(before);
  });
});
