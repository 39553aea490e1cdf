// The "Graph/Bot Framework" signing authority for notification tokens, like api.aps.skype.com/v1/.well-known/OpenIdConfiguration.
import type { Route } from '../http/router.js';
import type { KeyRing } from './key-ring.js';
import { BOTFRAMEWORK_ISSUER } from '../notify/callback-tokens.js';

export const APS_OPENID_PATH = '/aps/v1/.well-known/OpenIdConfiguration';
export const APS_KEYS_PATH = '/aps/v1/keys';

export function apsRoutes(ring: KeyRing, baseUrl: () => string): Route[] {
  return [
    { method: 'GET', path: APS_OPENID_PATH, handler: () => ({
      status: 200,
      body: {
        issuer: BOTFRAMEWORK_ISSUER,
        authorization_endpoint: `${baseUrl()}/aps/v1/authorize`,
        jwks_uri: `${baseUrl()}${APS_KEYS_PATH}`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      },
    }) },
    { method: 'GET', path: APS_KEYS_PATH, handler: () => ({ status: 200, body: ring.jwks() }) },
  ];
}
