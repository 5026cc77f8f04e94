// Public entry point of @resnet-lab/api: start the server or a worker, or open its database on its own.
export { MINIMUM_FREE_BYTES, checkDiskSpace } from './check-disk-space.js';
export { CONFIG_DEFAULTS, ConfigError, readCommandConfig, readConfig, redact } from './config.js';
export type { ApiConfig, Environment } from './config.js';
export { NameAsTextClient, postgresAdapterFactory } from './db/adapters.js';
export { migrate, openDatabase } from './db/database.js';
export type { Database, DatabaseLocation } from './db/database.js';
export {
  EmbeddedPostgresInUseError,
  joinEmbeddedPostgres,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from './db/embedded-postgres.js';
export { MIGRATIONS_DIR, MigrationError, applyMigrations, readMigrations } from './db/migrate.js';
export { describeFatalError } from './describe-fatal-error.js';
export type { Migration, SqlSession } from './db/migrate.js';
export { listenAddressError } from './listen-address-error.js';
export { reportDiskFull } from './report-disk-full.js';
export { GRAPHQL_PATH, startApi } from './server.js';
export type { RunningApi } from './server.js';
export { startRunWorker } from './worker/run-worker.js';
export type { RunningWorker } from './worker/run-worker.js';
export { DirectoryArtifactStore } from './artifacts/directory-artifact-store.js';
export type { ArtifactStore } from './artifacts/artifact-store.js';
export { RunRecorder } from './services/run-recorder.js';
export { sweepArtifacts } from './services/artifact-sweep.js';
