// Signs JWTs with a key ring; `forge` signs with a throwaway key that is never published.
import { SignJWT, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import type { KeyRing } from './key-ring.js';

export interface SignOptions {
  issuer: string;
  audience: string;
  subject?: string;
  /** Lifetime in seconds; negative values make an already-expired token. */
  lifetimeSec: number;
  /** Sign with a key that is not in the JWKS (a forged token). */
  forge?: boolean;
  /** Add `cty: "JWT"` to the header as Graph callback tokens do. */
  ctyJwt?: boolean;
}

export class TokenSigner {
  private forgeKey?: Promise<CryptoKey>;
  constructor(private readonly ring: KeyRing) {}

  async sign(claims: JWTPayload, o: SignOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const { kid, privateKey } = this.ring.current();
    const key = o.forge ? await this.forgedKey() : privateKey;
    const header = { alg: 'RS256', typ: 'JWT', kid, x5t: kid, ...(o.ctyJwt ? { cty: 'JWT' } : {}) };
    const iat = o.lifetimeSec < 0 ? now + o.lifetimeSec - 600 : now;
    let jwt = new SignJWT(claims)
      .setProtectedHeader(header)
      .setIssuer(o.issuer)
      .setAudience(o.audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(o.lifetimeSec < 0 ? now + o.lifetimeSec : now + o.lifetimeSec);
    if (o.subject) jwt = jwt.setSubject(o.subject);
    return jwt.sign(key);
  }

  private forgedKey(): Promise<CryptoKey> {
    this.forgeKey ??= generateKeyPair('RS256').then((p) => p.privateKey);
    return this.forgeKey;
  }
}
