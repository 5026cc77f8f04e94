// Opens the tracking database (embedded PGlite or PostgreSQL), brings its schema up to date and returns a
// Prisma Client over it.
import type pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { embeddedDatabaseDir, redact } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { NameAsTextClient, openPGlite, postgresAdapterFactory } from './adapters.js';
import { applyMigrations, readMigrations, type SqlSession } from './migrate.js';

export interface Database {
  readonly prisma: PrismaClient;
  /** e.g. 'embedded PGlite at /x/data/db' or 'PostgreSQL at postgresql://user:***@host/db'. */
  readonly description: string;
  /** Migrations this open applied. */
  readonly appliedMigrations: readonly string[];
  close(): Promise<void>;
}

export interface DatabaseLocation {
  readonly dataDir: string;
  readonly databaseUrl: string | null;
}

export async function openDatabase(location: DatabaseLocation): Promise<Database> {
  return location.databaseUrl ? openPostgres(location.databaseUrl) : openEmbedded(location.dataDir);
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const client = await openPGlite(dataDir);
  try {
    const session: SqlSession = {
      exec: async (sql) => void (await client.exec(sql)),
      query: async <Row>(sql: string, params?: readonly unknown[]) =>
        (await client.query<Row>(sql, params ? [...params] : undefined)).rows,
    };
    const appliedMigrations = await applyMigrations(session, await readMigrations());
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(client) });
    return {
      prisma,
      description: `embedded PGlite at ${embeddedDatabaseDir(dataDir)}`,
      appliedMigrations,
      close: async () => {
        await prisma.$disconnect();
        await client.close();
      },
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}

async function openPostgres(databaseUrl: string): Promise<Database> {
  // Typed as a plain pg.Client: NameAsTextClient only relabels result columns.
  const client: pg.Client = new NameAsTextClient({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Cannot connect to the PostgreSQL server at ${redact(databaseUrl)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let appliedMigrations: string[];
  try {
    const session: SqlSession = {
      exec: async (sql) => void (await client.query(sql)),
      query: async <Row>(sql: string, params?: readonly unknown[]) =>
        (await client.query<pg.QueryResultRow>(sql, params ? [...params] : undefined)).rows as Row[],
    };
    appliedMigrations = await applyMigrations(session, await readMigrations());
  } finally {
    await client.end();
  }
  const prisma = new PrismaClient({ adapter: postgresAdapterFactory(databaseUrl) });
  return {
    prisma,
    description: `PostgreSQL at ${redact(databaseUrl)}`,
    appliedMigrations,
    close: () => prisma.$disconnect(),
  };
}
