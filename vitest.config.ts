import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests share one Redis and one CPU pair; each uses its own key prefix,
    // but running files in parallel on two cores mostly adds noise to timing-sensitive cases.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
