import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Subprocess and PGlite start-ups are CPU-bound; two cores cannot run many files at once.
    maxWorkers: 2,
  },
});
