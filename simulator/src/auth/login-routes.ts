// The Entra ID (login.microsoftonline.com) subset: OpenID configuration, JWKS, and the v2.0 token endpoint.
//  - client_credentials for the recorder's calls to Graph (scope https://graph.microsoft.com/.default);
//  - password grant for local sign-in to the compliance UI/API: the token carries the user's app `roles`.
import { z } from 'zod';
import { timingSafeEqual } from 'node:crypto';
import type { Route, SimRequest, SimResponse } from '../http/router.js';
import { HttpError } from '../http/http-error.js';
import type { KeyRing } from './key-ring.js';
import type { TokenSigner } from './token-signer.js';
import type { DevUser } from './dev-users.js';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** Application permissions the simulated tenant has consented for the bot. */
export const BOT_APP_ROLES = ['Calls.AccessMedia.All', 'Calls.JoinGroupCall.All', 'CallRecords.Read.All'];
const TOKEN_LIFETIME_SEC = 3600;

export interface LoginDeps {
  baseUrl: () => string;
  tenantId: string;
  botAppId: string;
  botAppSecret: string;
  ring: KeyRing;
  signer: TokenSigner;
  users: DevUser[];
}

export function loginIssuer(baseUrl: string, tenantId: string): string {
  return `${baseUrl}/${tenantId}/v2.0`;
}

/** OAuth errors use the OAuth shape, not Graph's. */
function oauthError(status: number, error: string, description: string): HttpError {
  return new HttpError(status, error, description, {}, { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: new Date().toISOString() });
}

const form = z.object({
  grant_type: z.string(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
});

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function loginRoutes(d: LoginDeps): Route[] {
  const checkTenant = (req: SimRequest): string => {
    const t = req.params.tenant ?? '';
    if (t !== d.tenantId && t !== 'organizations' && t !== 'common') {
      throw oauthError(400, 'invalid_tenant', `AADSTS90002: Tenant '${t}' not found.`);
    }
    return d.tenantId;
  };

  const openid = (req: SimRequest): SimResponse => {
    const tenant = checkTenant(req);
    const base = d.baseUrl();
    return {
      status: 200,
      body: {
        issuer: loginIssuer(base, tenant),
        authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
        userinfo_endpoint: `${base}/oidc/userinfo`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        grant_types_supported: ['client_credentials', 'password'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'oid', 'roles', 'name', 'preferred_username'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        request_uri_parameter_supported: false,
      },
    };
  };

  const token = async (req: SimRequest): Promise<SimResponse> => {
    const tenant = checkTenant(req);
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.includes('application/x-www-form-urlencoded')) {
      throw oauthError(400, 'invalid_request', 'AADSTS900144: body must be application/x-www-form-urlencoded');
    }
    const parsed = form.safeParse(Object.fromEntries(new URLSearchParams(req.rawBody.toString('utf8'))));
    if (!parsed.success) throw oauthError(400, 'invalid_request', 'AADSTS900144: missing grant_type');
    const f = parsed.data;
    let clientId = f.client_id;
    let clientSecret = f.client_secret;
    const basic = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''));
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      clientId ??= decodeURIComponent(id ?? '');
      clientSecret ??= decodeURIComponent(secret ?? '');
    }
    if (!clientId) throw oauthError(400, 'invalid_request', "AADSTS900144: The request body must contain 'client_id'.");
    if (clientId !== d.botAppId) {
      throw oauthError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`);
    }
    const base = d.baseUrl();
    const scope = f.scope ?? '';
    if (f.grant_type === 'client_credentials') {
      if (!clientSecret || !safeEqual(clientSecret, d.botAppSecret)) {
        throw oauthError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
      }
      if (scope.trim() !== `${GRAPH_RESOURCE}/.default`) {
        throw oauthError(400, 'invalid_scope', `AADSTS1002012: The provided value for scope '${scope}' is not valid. Use ${GRAPH_RESOURCE}/.default.`);
      }
      const access = await d.signer.sign(
        { tid: tenant, appid: clientId, azp: clientId, oid: clientId, idtyp: 'app', roles: BOT_APP_ROLES, ver: '1.0' },
        { issuer: `${base}/${tenant}/`, audience: GRAPH_RESOURCE, subject: clientId, lifetimeSec: TOKEN_LIFETIME_SEC },
      );
      return tokenResponse(access, scope);
    }
    if (f.grant_type === 'password') {
      const user = d.users.find((u) => u.username.toLowerCase() === (f.username ?? '').toLowerCase());
      if (!user || !safeEqual(user.password, f.password ?? '')) {
        throw oauthError(400, 'invalid_grant', 'AADSTS50126: Error validating credentials due to invalid username or password.');
      }
      // scope api://<appId>/.default (or <appId>/.default) → aud = appId; roles = the user's app roles.
      const audience = d.botAppId;
      const claims = { tid: tenant, oid: user.oid, name: user.name, preferred_username: user.username, azp: clientId, roles: user.roles, scp: 'access_as_user', ver: '2.0' };
      const access = await d.signer.sign(claims, { issuer: loginIssuer(base, tenant), audience, subject: user.oid, lifetimeSec: TOKEN_LIFETIME_SEC });
      const idToken = await d.signer.sign(claims, { issuer: loginIssuer(base, tenant), audience: clientId, subject: user.oid, lifetimeSec: TOKEN_LIFETIME_SEC });
      const res = tokenResponse(access, scope);
      return { ...res, body: { ...(res.body as object), id_token: idToken } };
    }
    throw oauthError(400, 'unsupported_grant_type', `AADSTS70003: grant_type '${f.grant_type}' is not supported here (client_credentials, password).`);
  };

  return [
    { method: 'GET', path: '/:tenant/v2.0/.well-known/openid-configuration', handler: openid },
    { method: 'GET', path: '/:tenant/discovery/v2.0/keys', handler: () => ({ status: 200, body: d.ring.jwks() }) },
    { method: 'POST', path: '/:tenant/oauth2/v2.0/token', handler: token },
  ];
}

function tokenResponse(accessToken: string, scope: string): SimResponse {
  return {
    status: 200,
    headers: { 'cache-control': 'no-store' },
    body: { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SEC, ext_expires_in: TOKEN_LIFETIME_SEC, access_token: accessToken, scope },
  };
}
