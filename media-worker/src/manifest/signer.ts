// Manifest signing behind an interface: a local Ed25519 key file here, Key Vault in production.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ManifestSigner {
  readonly alg: 'Ed25519';
  readonly keyId: string;
  sign(data: Buffer): Promise<string>;
}

export interface ManifestVerifier {
  /** True if `signature` (base64) over `data` was made by the key `keyId`. */
  verify(data: Buffer, signature: string, keyId: string): Promise<boolean>;
}

function keyIdOf(pub: KeyObject): string {
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export class Ed25519FileSigner implements ManifestSigner, ManifestVerifier {
  readonly alg = 'Ed25519' as const;
  readonly keyId: string;
  private readonly publicKey: KeyObject;

  private constructor(private readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  /** Loads the PEM key at `file`, creating one (mode 0600) if absent. */
  static async fromFile(file: string, options: { createIfMissing?: boolean } = {}): Promise<Ed25519FileSigner> {
    let pem: string | undefined = await readFile(file, 'utf8').catch(() => undefined);
    if (!pem) {
      if (options.createIfMissing === false) throw new Error(`signing key file ${file} not found`);
      const { privateKey } = generateKeyPairSync('ed25519');
      pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await mkdir(dirname(file), { recursive: true });
      try {
        await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
      } catch {
        pem = await readFile(file, 'utf8'); // another process created it first
      }
    }
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('MANIFEST_SIGNING_KEY_FILE must hold an Ed25519 private key');
    return new Ed25519FileSigner(key);
  }

  async sign(data: Buffer): Promise<string> {
    return sign(null, data, this.privateKey).toString('base64');
  }

  async verify(data: Buffer, signature: string, keyId: string): Promise<boolean> {
    if (keyId !== this.keyId) return false;
    return verify(null, data, this.publicKey, Buffer.from(signature, 'base64'));
  }
}
