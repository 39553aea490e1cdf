import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureCertificate, isUsableCertificate, writeTrustFile } from '../../stack/src/parts/certs.js';
import { tempDir } from '../helpers/stack-env.js';

describe('certificate', () => {
  it('is made for localhost and 127.0.0.1, reused while valid, replaced when about to expire', async () => {
    const dir = await tempDir('certs');
    const first = await ensureCertificate({ dir });
    expect(first.created).toBe(true);
    const pem = await readFile(first.certFile, 'utf8');
    expect(isUsableCertificate(pem, 0)).toBe(true);

    const again = await ensureCertificate({ dir });
    expect(again.created).toBe(false);
    expect(await readFile(again.certFile, 'utf8')).toBe(pem);

    const inTwoYears = new Date(Date.now() + 2 * 365 * 86_400_000);
    expect(isUsableCertificate(pem, 0, inTwoYears)).toBe(false);
    const renewed = await ensureCertificate({ dir, minRemainingMs: 400 * 86_400_000 });
    expect(renewed.created).toBe(true);
    expect(await readFile(renewed.certFile, 'utf8')).not.toBe(pem);
  });

  it('a broken certificate file is replaced', async () => {
    const dir = await tempDir('certs');
    const first = await ensureCertificate({ dir });
    await writeFile(first.certFile, 'garbage');
    expect((await ensureCertificate({ dir })).created).toBe(true);
  });

  it('trust file bundles an existing NODE_EXTRA_CA_CERTS with ours', async () => {
    const dir = await tempDir('trust');
    const ours = await ensureCertificate({ dir: join(dir, 'ours') });
    const theirs = await ensureCertificate({ dir: join(dir, 'theirs') });
    expect(await writeTrustFile(ours.certFile, join(dir, 'bundle.pem'), undefined)).toBe(ours.certFile);
    const bundle = await writeTrustFile(ours.certFile, join(dir, 'bundle.pem'), theirs.certFile);
    const text = await readFile(bundle, 'utf8');
    expect(text).toContain((await readFile(ours.certFile, 'utf8')).trim());
    expect(text).toContain((await readFile(theirs.certFile, 'utf8')).trim());
  });
});
