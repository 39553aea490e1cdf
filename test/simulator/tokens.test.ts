// Tokens: login OpenID config + client credentials + password grant with roles; notification tokens verify with jose
// against the APS JWKS, fail with a wrong key, and survive key rotation (old kid stays published).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, exportJWK, generateKeyPair, createLocalJWKSet, jwtVerify, decodeJwt } from 'jose';
import { startHarness, TENANT, BOT_APP_ID, BOT_SECRET, p2pScenario, type Harness } from './helpers/sim-harness.js';
import { startRecorder, type TestRecorder } from './helpers/throwaway-recorder.js';
import { caFetch } from './helpers/https-client.js';

let h: Harness;
let rec: TestRecorder;

beforeAll(async () => {
  h = await startHarness({ answerDeadlineMs: 300 });
  rec = await startRecorder({ jwksUrl: `${h.sim.url}/aps/v1/keys`, ca: h.ca });
});
afterAll(async () => {
  await h.close();
  await rec.close();
});

const form = (o: Record<string, string>): string => new URLSearchParams(o).toString();
const tokenCall = (body: Record<string, string>) =>
  h.call('POST', `/${TENANT}/oauth2/v2.0/token`, form(body), { 'content-type': 'application/x-www-form-urlencoded' });

/** The bearer of the new call's incoming-call notification (not a late one of an earlier call, signed before). */
async function bearerOfNextNotification(): Promise<string> {
  const started = await h.startCall(p2pScenario({ durationMs: 100 }), undefined, `${rec.url}/calls`);
  const legId = started.legs[0]?.id;
  const isIncoming = (r: (typeof rec.received)[number]): boolean => {
    const n = r.body.value?.[0];
    return n?.changeType === 'created' && !Array.isArray(n.resourceData) && n.resourceData.id === legId;
  };
  const until = Date.now() + 10_000;
  while (!rec.received.some(isIncoming) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const got = rec.received.find(isIncoming);
  if (!got) throw new Error('no notification');
  return String(got.headers.authorization).replace(/^Bearer /, '');
}

describe('login (Entra ID) endpoints', () => {
  it('serves OpenID configuration pointing at its own token endpoint and JWKS', async () => {
    const r = await h.call('GET', `/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(r.status).toBe(200);
    const cfg = r.json() as Record<string, string>;
    expect(cfg.token_endpoint).toBe(`${h.sim.url}/${TENANT}/oauth2/v2.0/token`);
    expect(cfg.issuer).toBe(`${h.sim.url}/${TENANT}/v2.0`);
    expect((await h.call('GET', '/not-a-tenant/v2.0/.well-known/openid-configuration')).status).toBe(400);
  });

  it('client credentials: checks id, secret and scope; issues an RS256 Graph token with app roles', async () => {
    const ok = await tokenCall({ grant_type: 'client_credentials', client_id: BOT_APP_ID, client_secret: BOT_SECRET, scope: 'https://graph.microsoft.com/.default' });
    expect(ok.status).toBe(200);
    const access = (ok.json() as { access_token: string; token_type: string }).access_token;
    expect(decodeProtectedHeader(access).alg).toBe('RS256');
    const claims = decodeJwt(access);
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', tid: TENANT, appid: BOT_APP_ID });
    expect(claims.roles).toContain('Calls.AccessMedia.All');
    const badSecret = await tokenCall({ grant_type: 'client_credentials', client_id: BOT_APP_ID, client_secret: 'nope', scope: 'https://graph.microsoft.com/.default' });
    expect(badSecret.status).toBe(401);
    expect(badSecret.json()).toMatchObject({ error: 'invalid_client' });
    const badClient = await tokenCall({ grant_type: 'client_credentials', client_id: 'someone-else', client_secret: BOT_SECRET, scope: 'https://graph.microsoft.com/.default' });
    expect(badClient.status).toBe(400);
    const badScope = await tokenCall({ grant_type: 'client_credentials', client_id: BOT_APP_ID, client_secret: BOT_SECRET, scope: 'User.Read' });
    expect(badScope.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('password grant: user tokens carry the user app roles, verifiable against the login JWKS', async () => {
    const r = await tokenCall({ grant_type: 'password', client_id: BOT_APP_ID, username: 'reviewer@sim.local', password: 'reviewer', scope: `api://${BOT_APP_ID}/.default` });
    expect(r.status).toBe(200);
    const { access_token: access } = r.json() as { access_token: string };
    const jwks = createRemoteJWKSet(new URL(`${h.sim.url}/${TENANT}/discovery/v2.0/keys`), { [customFetch]: caFetch(h.ca) });
    const { payload } = await jwtVerify(access, jwks, { algorithms: ['RS256'], audience: BOT_APP_ID, issuer: `${h.sim.url}/${TENANT}/v2.0` });
    expect(payload.roles).toEqual(['Compliance.Reviewer']);
    expect(payload.preferred_username).toBe('reviewer@sim.local');
    const wrong = await tokenCall({ grant_type: 'password', client_id: BOT_APP_ID, username: 'reviewer@sim.local', password: 'x' });
    expect(wrong.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('notification tokens', () => {
  it('verify with jose against the APS OpenID JWKS; fail against a wrong key', async () => {
    const cfg = (await h.call('GET', '/aps/v1/.well-known/OpenIdConfiguration')).json() as { issuer: string; jwks_uri: string };
    expect(cfg.issuer).toBe('https://api.botframework.com');
    const token = await bearerOfNextNotification();
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'RS256', cty: 'JWT' });
    const jwks = createRemoteJWKSet(new URL(cfg.jwks_uri), { [customFetch]: caFetch(h.ca) });
    const { payload } = await jwtVerify(token, jwks, { algorithms: ['RS256'], issuer: 'https://api.botframework.com', audience: BOT_APP_ID });
    expect(payload.tid).toBe(TENANT);
    // A JWKS holding another key with the same kid must not verify the token.
    const other = await generateKeyPair('RS256', { extractable: true });
    const wrongSet = createLocalJWKSet({ keys: [{ ...(await exportJWK(other.publicKey)), kid: header.kid, alg: 'RS256', use: 'sig' }] });
    await expect(jwtVerify(token, wrongSet, { algorithms: ['RS256'] })).rejects.toThrow(/signature/i);
  });

  it('rotation: a new kid signs, the old kid stays published so in-flight tokens still verify', async () => {
    const before = await bearerOfNextNotification();
    const oldKid = decodeProtectedHeader(before).kid;
    const rotated = await h.call('POST', '/_sim/rotate-keys', { which: 'callback' });
    const kids = (rotated.json() as { callbackKids: string[] }).callbackKids;
    expect(kids).toContain(oldKid);
    expect(kids.length).toBeGreaterThanOrEqual(2);
    const after = await bearerOfNextNotification();
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).not.toBe(oldKid);
    expect(kids).toContain(newKid);
    const jwks = createRemoteJWKSet(new URL(`${h.sim.url}/aps/v1/keys`), { [customFetch]: caFetch(h.ca) });
    await expect(jwtVerify(before, jwks, { algorithms: ['RS256'] })).resolves.toBeTruthy();
    await expect(jwtVerify(after, jwks, { algorithms: ['RS256'] })).resolves.toBeTruthy();
  });

  it('token faults: forged, expired, wrong audience and missing tokens are rejected by the recorder', async () => {
    for (const token of ['forged', 'expired', 'wrongAudience', 'missing'] as const) {
      const before = rec.received.length;
      await h.startCall(p2pScenario({ durationMs: 100, faults: { token } }), undefined, `${rec.url}/calls`);
      const until = Date.now() + 10_000;
      while (rec.received.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const got = rec.received[before];
      expect(got?.authOk, token).toBe(false);
      expect(got?.status, token).toBe(401);
    }
  });
});
