import { defineConfig } from 'vitest/config';

/**
 * Unit and integration tests of the server and the contract. Run once per engine:
 * HAVEN_TEST_ENGINE=pglite (default) and HAVEN_TEST_ENGINE=postgres (scripts/test.mjs does both).
 */
export default defineConfig({
  test: {
    include: ['apps/server/src/**/*.test.ts', 'apps/server/test/**/*.test.ts', 'packages/contracts/src/**/*.test.ts'],
    globalSetup: ['apps/server/test/support/global-setup.ts'],
    pool: 'forks',
    // Files in a worker share one database (see test/support/harness.ts).
    isolate: false,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
