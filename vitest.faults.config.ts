import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`): whole campaigns under worker kills, a Redis restart,
 * a flaky, slow or vanished SMTP server, pause/resume storms. One file at a time: each scenario
 * already runs several processes on a 2-core machine, and two at once would only add noise.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/redis-global-setup.ts', 'test/support/build-global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
