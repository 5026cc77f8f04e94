// One vitest run over every workspace: unit tests beside the code, cross-package tests in test/.
import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module) copies. Node, and so Apollo and graphql-tools, load the
    // CommonJS one; vite would give our code the ESM one, and graphql refuses types that mix the two.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/bench/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/*/bench/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // One embedded PostgreSQL server for the run; each test file makes its own databases on it.
    globalSetup: ['apps/api/test-support/postgres-global-setup.ts'],
    // Model builds and forward passes on the pure-JS backend take seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
