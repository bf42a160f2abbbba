import { defineConfig } from 'vitest/config';

/**
 * `npm test`'s unit and integration tests: they need Node and a Redis (checked first, by
 * test/support/redis-global-setup.ts). The browser tests (`npm run test:e2e`) and the fault suite
 * (`npm run test:faults`) have their own configs.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', 'test/e2e/**', 'node_modules/**'],
    globalSetup: ['test/support/redis-global-setup.ts', 'test/support/build-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests share one Redis and one CPU pair; each uses its own key prefix,
    // but running files in parallel on two cores mostly adds noise to timing-sensitive cases.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
