// vitest globalSetup: one throwaway embedded PostgreSQL server for the whole test run (the same binaries and code
// `npm start` uses), in a temporary directory removed at the end. Each test file makes its own databases on it
// (createTestDatabase), so files neither share rows nor depend on each other's order.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import './test-database.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-test-postgres-'));
  // As root the server runs as the postgres user, which must be able to enter the directory.
  await fs.chmod(directory, 0o755);
  const server = await startEmbeddedPostgres(directory, { owner: 'the test run', durable: false });
  project.provide('postgresAdminUrl', server.url.replace(/\/[^/]+$/, '/postgres'));
  return async () => {
    await server.stop();
    await fs.rm(directory, { recursive: true, force: true });
  };
}
