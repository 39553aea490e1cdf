// Bearer tokens on notifications, as Graph signs them: iss Bot Framework (or Graph), aud = bot app id, tid, cty JWT.
import type { TokenSigner } from '../auth/token-signer.js';
import type { Faults } from './faults.js';

export const BOTFRAMEWORK_ISSUER = 'https://api.botframework.com';
export const GRAPH_ISSUER = 'https://graph.microsoft.com';
const LIFETIME_SEC = 3600;

export async function callbackToken(signer: TokenSigner, botAppId: string, tenantId: string, faults: Faults): Promise<string | undefined> {
  const kind = faults.token ?? 'valid';
  if (kind === 'missing') return undefined;
  return signer.sign(
    { tid: tenantId, serviceurl: 'https://api.aps.skype.com/v1' },
    {
      issuer: kind === 'wrongIssuer' ? 'https://sts.example.invalid' : faults.graphIssuer ? GRAPH_ISSUER : BOTFRAMEWORK_ISSUER,
      audience: kind === 'wrongAudience' ? '00000000-dead-beef-0000-000000000000' : botAppId,
      lifetimeSec: kind === 'expired' ? -900 : LIFETIME_SEC,
      forge: kind === 'forged',
      ctyJwt: true,
    },
  );
}
