// Applies prisma/migrations at start-up. It keeps the same `_prisma_migrations` bookkeeping as `prisma migrate
// deploy` (same table, sha256 checksums of migration.sql), so the two can be used interchangeably on one database.
// The API applies them itself because PGlite opens its directory exclusively: the Prisma CLI could not migrate the
// embedded database while the API holds it, and spawning it first would add seconds to every start.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../prisma/migrations', import.meta.url));

/** The lock key `prisma migrate` takes, so the CLI and API processes never migrate one database at once. */
const PRISMA_MIGRATION_LOCK = 72707369;

/** Raw SQL access to a database, below Prisma Client. */
export interface SqlSession {
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export async function readMigrations(directory = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await fs.readdir(directory, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await fs.readFile(path.join(directory, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

interface AppliedMigration {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies the migrations not yet applied, in name order, each in its own transaction. Returns their names. */
export async function applyMigrations(session: SqlSession, migrations: readonly Migration[]): Promise<string[]> {
  await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATION_LOCK]);
  try {
    await session.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const applied = await session.query<AppliedMigration>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const byName = new Map(applied.map((row) => [row.migration_name, row]));
    for (const row of applied) {
      if (row.finished_at === null) {
        throw new MigrationError(
          `Migration ${row.migration_name} started but did not finish. Fix the database, then mark it with ` +
            '`npx prisma migrate resolve --applied` or `--rolled-back`.',
        );
      }
    }
    const newlyApplied: string[] = [];
    for (const migration of migrations) {
      const existing = byName.get(migration.name);
      if (existing) {
        if (existing.checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.name} was changed after it was applied to this database (checksum differs). ` +
              'Restore the original migration.sql; schema changes belong in a new migration.',
          );
        }
        continue;
      }
      await applyOne(session, migration);
      newlyApplied.push(migration.name);
    }
    return newlyApplied;
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK]);
  }
}

async function applyOne(session: SqlSession, migration: Migration): Promise<void> {
  await session.exec('BEGIN');
  try {
    await session.exec(migration.sql);
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await session.exec('COMMIT');
  } catch (error) {
    await session.exec('ROLLBACK');
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
