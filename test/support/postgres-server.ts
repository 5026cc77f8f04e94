// The test run's PostgreSQL server (apps/api/test-support/postgres-global-setup.ts), for tests that make databases
// of their own on it: each created database is new and empty, so no test depends on another.
import { createTestDatabase } from '@resnet-lab/api/test-support';
import { inject } from 'vitest';

export interface PostgresServer {
  /** URL of a database on this server, as the superuser. */
  url(database: string): string;
  /** Creates an empty database, named after `name` (made unique), and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Nothing to stop: the server lives as long as the test run. */
  stop(): Promise<void>;
}

export function startPostgresServer(): Promise<PostgresServer> {
  const adminUrl = inject('postgresAdminUrl');
  return Promise.resolve({
    url: (database) => adminUrl.replace(/\/postgres$/, `/${encodeURIComponent(database)}`),
    createDatabase: (name) => createTestDatabase(name),
    stop: () => Promise.resolve(),
  });
}
