import { defineConfig } from 'vitest/config';

/**
 * The browser tests (`npm run test:e2e`): the dashboard in headless Chromium, which they need at
 * /usr/bin/chromium (Debian's `chromium` package; `.ci/run` installs it), besides Redis.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/support/redis-global-setup.ts', 'test/support/build-global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
