import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds. Node, and so Yoga and Pothos, load the
    // CJS one; without this alias Vite would hand our code the ESM one, and a GraphQLError or
    // schema from one realm is not `instanceof` the other's.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    globalSetup: ['./test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Subprocess and PGlite start-ups are CPU-bound; two cores cannot run many files at once.
    maxWorkers: 2,
  },
});
