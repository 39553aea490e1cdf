// Checks the bearer token on Graph API calls: our own login key, audience Graph, tenant, app roles.
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { KeyRing } from './key-ring.js';
import { unauthorized, forbidden } from '../http/http-error.js';
import { GRAPH_RESOURCE } from './login-routes.js';

export interface GraphCaller {
  appId: string;
  tenantId: string;
  roles: string[];
}

export async function verifyGraphBearer(
  authorization: string | undefined,
  ring: KeyRing,
  expected: { issuer: string; tenantId: string },
): Promise<GraphCaller> {
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (!m?.[1]) throw unauthorized('Access token is empty.');
  try {
    const { payload } = await jwtVerify(m[1], createLocalJWKSet(ring.jwks()), {
      algorithms: ['RS256'],
      audience: GRAPH_RESOURCE,
      issuer: expected.issuer,
      clockTolerance: 60,
    });
    if (payload.tid !== expected.tenantId) throw new Error(`tid ${String(payload.tid)} is not the tenant`);
    const roles = Array.isArray(payload.roles) ? payload.roles.map(String) : [];
    if (!roles.includes('Calls.AccessMedia.All') && !roles.includes('CallRecords.Read.All')) {
      throw forbidden('Application is not authorized to perform this operation.', 'Forbidden');
    }
    return { appId: String(payload.appid ?? ''), tenantId: String(payload.tid), roles };
  } catch (err) {
    if (err instanceof Error && 'status' in err) throw err;
    throw unauthorized(`Access token validation failure: ${err instanceof Error ? err.message : String(err)}`);
  }
}
