// vitest globalSetup: one throwaway embedded PostgreSQL server for the whole test run (the same binaries and code
// `npm start` uses), in a temporary directory removed at the end. Each test file makes its own databases on it
// (createTestDatabase), so files neither share rows nor depend on each other's order.
import fs from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { makeEmbeddedDataDir } from './embedded-data-dir.js';
import './test-database.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = await makeEmbeddedDataDir('resnet-lab-test-postgres-');
  const server = await startEmbeddedPostgres(directory, { owner: 'the test run', durable: false });
  project.provide('postgresAdminUrl', server.url.replace(/\/[^/]+$/, '/postgres'));
  return async () => {
    await server.stop();
    await fs.rm(directory, { recursive: true, force: true });
  };
}
