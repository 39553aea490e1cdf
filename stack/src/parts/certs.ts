import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface CertificateFiles {
  /** PEM certificate; also the file children trust through `NODE_EXTRA_CA_CERTS`. */
  readonly certFile: string;
  /** PEM private key. */
  readonly keyFile: string;
  /** When the certificate stops being valid. */
  readonly validTo: Date;
  /** Whether this call made a new certificate. */
  readonly created: boolean;
}

export interface EnsureCertificateOptions {
  /** Folder for `cert.pem` and `key.pem` (e.g. `.stack/certs`). */
  readonly dir: string;
  /** A certificate expiring sooner than this is replaced. */
  readonly minRemainingMs?: number;
  readonly validityDays?: number;
}

const NAMES = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] };
const DAY_MS = 86_400_000;

/** Whether `pem` is valid for long enough and covers localhost and 127.0.0.1. */
export function isUsableCertificate(pem: string, minRemainingMs: number, now = new Date()): boolean {
  try {
    const cert = new X509Certificate(pem);
    if (new Date(cert.validTo).getTime() - now.getTime() < minRemainingMs) return false;
    if (new Date(cert.validFrom).getTime() > now.getTime()) return false;
    const san = cert.subjectAltName ?? '';
    return san.includes('DNS:localhost') && san.includes('IP Address:127.0.0.1');
  } catch {
    return false;
  }
}

/**
 * A self-signed certificate for localhost/127.0.0.1 under `dir`, reused when present and not about to expire.
 * It is its own CA, so a process started with `NODE_EXTRA_CA_CERTS=<certFile>` trusts servers using it.
 */
export async function ensureCertificate(options: EnsureCertificateOptions): Promise<CertificateFiles> {
  const certFile = join(options.dir, 'cert.pem');
  const keyFile = join(options.dir, 'key.pem');
  const minRemainingMs = options.minRemainingMs ?? 7 * DAY_MS;
  const existing = await readBoth(certFile, keyFile);
  if (existing && isUsableCertificate(existing.cert, minRemainingMs)) {
    return { certFile, keyFile, validTo: new Date(new X509Certificate(existing.cert).validTo), created: false };
  }
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + (options.validityDays ?? 365) * DAY_MS);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...NAMES.dns.map((value) => ({ type: 2 as const, value })), ...NAMES.ips.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  await mkdir(options.dir, { recursive: true });
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await writeFile(certFile, pems.cert, { mode: 0o644 });
  return { certFile, keyFile, validTo: notAfterDate, created: true };
}

async function readBoth(certFile: string, keyFile: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return { cert, key };
  } catch {
    return undefined;
  }
}

/**
 * The file to put in `NODE_EXTRA_CA_CERTS`: our certificate alone, or, when the environment already trusts extra CAs,
 * a bundle of both written to `bundleFile` (so a corporate CA keeps working).
 */
export async function writeTrustFile(
  certFile: string,
  bundleFile: string,
  existing: string | undefined,
): Promise<string> {
  if (!existing || existing === certFile || existing === bundleFile) return certFile;
  let previous: string;
  try {
    previous = await readFile(existing, 'utf8');
  } catch {
    return certFile;
  }
  const ours = await readFile(certFile, 'utf8');
  await writeFile(bundleFile, `${previous.trimEnd()}\n${ours}`, { mode: 0o644 });
  return bundleFile;
}
