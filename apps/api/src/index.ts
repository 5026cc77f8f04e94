// Public entry point of @resnet-lab/api: start the server, or open its database on its own.
export { CONFIG_DEFAULTS, ConfigError, readConfig } from './config.js';
export type { ApiConfig, Environment } from './config.js';
export { NameAsTextClient, postgresAdapterFactory } from './db/adapters.js';
export { openDatabase } from './db/database.js';
export type { Database, DatabaseLocation } from './db/database.js';
export { MIGRATIONS_DIR, MigrationError, applyMigrations, readMigrations } from './db/migrate.js';
export type { Migration, SqlSession } from './db/migrate.js';
export { GRAPHQL_PATH, startApi } from './server.js';
export type { RunningApi } from './server.js';
