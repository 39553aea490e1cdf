// RS256 signing keys with rotation: the newest key signs, retired keys stay published for `retainMs`.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

interface RingKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  createdAt: number;
  retiredAt?: number;
}

export interface KeyRingOptions {
  /** How long a retired key stays in the JWKS after rotation (real ms). */
  retainMs: number;
  now?: () => number;
}

export class KeyRing {
  private keys: RingKey[] = [];
  private constructor(private readonly options: KeyRingOptions) {}

  static async create(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing(options);
    await ring.rotate();
    return ring;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Adds a new current key; the previous one is retired but stays published for retainMs. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomUUID().replace(/-/g, '').slice(0, 20);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256', kty: 'RSA' };
    const now = this.now();
    for (const k of this.keys) k.retiredAt ??= now;
    this.keys.push({ kid, privateKey, publicJwk, createdAt: now });
    return kid;
  }

  current(): { kid: string; privateKey: CryptoKey } {
    const k = this.keys[this.keys.length - 1];
    if (!k) throw new Error('key ring is empty');
    return { kid: k.kid, privateKey: k.privateKey };
  }

  /** Published keys: current + retired ones inside their retention window. */
  jwks(): { keys: JWK[] } {
    const now = this.now();
    this.keys = this.keys.filter((k) => k.retiredAt === undefined || now - k.retiredAt < this.options.retainMs);
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  kids(): string[] {
    return this.jwks().keys.map((k) => String(k.kid));
  }
}
