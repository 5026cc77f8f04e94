// One vitest run over every workspace: unit tests beside the code, cross-package tests in test/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Model builds and forward passes on the pure-JS backend take seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
