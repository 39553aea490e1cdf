// TLS material: the stack's certificate if given, otherwise a fresh self-signed one for localhost/127.0.0.1.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Where the certificate lives on disk (for NODE_EXTRA_CA_CERTS of clients). */
  certFile: string;
}

export async function loadOrCreateTls(certFile?: string, keyFile?: string): Promise<TlsMaterial> {
  if (certFile && keyFile) {
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), certFile };
  }
  if (certFile || keyFile) throw new Error('TLS_CERT_FILE and TLS_KEY_FILE must be given together');
  return createSelfSigned();
}

export async function createSelfSigned(dir?: string): Promise<TlsMaterial> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  const target = dir ?? (await mkdtemp(join(tmpdir(), 'sim-tls-')));
  const certFile = join(target, 'cert.pem');
  await writeFile(certFile, pems.cert);
  await writeFile(join(target, 'key.pem'), pems.private, { mode: 0o600 });
  return { cert: pems.cert, key: pems.private, certFile };
}
