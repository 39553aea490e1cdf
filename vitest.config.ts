import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', '**/src/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    // Azurite + cosmosdb-server once per run on free ports; see test/helpers/ (stackEnv, startPart helpers).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Forks (not threads): NODE_EXTRA_CA_CERTS set by the global setup is read when each worker process starts.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
