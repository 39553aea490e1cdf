import { join } from 'node:path';

/** Where the stack keeps things, relative to a root (the repo root for `npm start`, a temp dir in tests). */
export interface StackLayout {
  readonly root: string;
  /** Generated, git-ignored: certificates, secrets, signing key. */
  readonly stackDir: string;
  readonly certsDir: string;
  readonly secretsFile: string;
  /** Held while a stack runs on this root. */
  readonly lockFile: string;
  readonly manifestSigningKeyFile: string;
  /** The app settings the stack generated, given to the local host with `--settings`. */
  readonly appSettingsFile: string;
  /** Stored data, git-ignored, kept between runs (`--fresh` wipes it). */
  readonly dataDir: string;
  readonly azuriteDir: string;
  readonly localHostDir: string;
  readonly mediaWorkerDir: string;
  readonly groundTruthDir: string;
}

export function stackLayout(root: string): StackLayout {
  const stackDir = join(root, '.stack');
  const dataDir = join(root, '.data');
  return {
    root,
    stackDir,
    certsDir: join(stackDir, 'certs'),
    secretsFile: join(stackDir, 'secrets.json'),
    lockFile: join(stackDir, 'stack.lock'),
    manifestSigningKeyFile: join(stackDir, 'manifest-signing-key.pem'),
    appSettingsFile: join(stackDir, 'app.settings.json'),
    dataDir,
    azuriteDir: join(dataDir, 'azurite'),
    localHostDir: join(dataDir, 'local-host'),
    mediaWorkerDir: join(dataDir, 'media-worker'),
    groundTruthDir: join(dataDir, 'simulator', 'ground-truth'),
  };
}
