// Opens the tracking database, brings its schema up to date and returns a Prisma Client over it. One code path:
// a PostgreSQL server through @prisma/adapter-pg, either the one DATABASE_URL names or the embedded server of
// DATA_DIR (joined when it runs, else started by this process and stopped when it closes).
import type pg from 'pg';
import { redact } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { NameAsTextClient, postgresAdapterFactory } from './adapters.js';
import { joinEmbeddedPostgres, openEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { applyMigrations, readMigrations, type SqlSession } from './migrate.js';

export interface Database {
  readonly prisma: PrismaClient;
  /** The server's URL, with its password: for this process's other connections (LISTEN, the queue). */
  readonly url: string;
  /** e.g. 'embedded PostgreSQL at postgresql://postgres:***@127.0.0.1:5433/resnet_lab (data in /x/data/postgres)'. */
  readonly description: string;
  /** Migrations this open applied. */
  readonly appliedMigrations: readonly string[];
  close(): Promise<void>;
}

export interface DatabaseLocation {
  readonly dataDir: string;
  readonly databaseUrl: string | null;
}

export interface OpenDatabaseOptions {
  /** Who starts the embedded server if it is not running, for the message another owner gets (default 'the API'). */
  readonly owner?: string;
  /** Apply pending migrations (default true). Workers leave that to the API and `npm run db:migrate`. */
  readonly migrate?: boolean;
  /** Connections in this process's Prisma pool (pg's default: 10). */
  readonly poolSize?: number;
  /**
   * Without DATABASE_URL: 'start' joins the data directory's embedded server or starts it (the default); 'join'
   * only joins one that runs, as workers do.
   */
  readonly embedded?: 'start' | 'join';
}

export async function openDatabase(location: DatabaseLocation, options: OpenDatabaseOptions = {}): Promise<Database> {
  let embedded: EmbeddedPostgres | null = null;
  let url = location.databaseUrl;
  if (url === null) {
    embedded =
      options.embedded === 'join'
        ? await joinEmbeddedPostgres(location.dataDir)
        : await openEmbeddedPostgres(location.dataDir, { owner: options.owner ?? 'the API' });
    if (!embedded) {
      throw new Error(
        `No PostgreSQL server runs for ${location.dataDir}: start ResNet Lab there first (\`npm start\`), or set ` +
          'DATABASE_URL to the server the API uses (and ARTIFACT_DIR to its artifacts).',
      );
    }
    url = embedded.url;
  }
  try {
    const appliedMigrations = options.migrate === false ? [] : await migrate(url);
    const prisma = new PrismaClient({
      adapter: postgresAdapterFactory(url, options.poolSize ? { max: options.poolSize } : {}),
    });
    const description = embedded
      ? `embedded PostgreSQL at ${redact(url)} (data in ${location.dataDir}/postgres${embedded.owned ? '' : `, started by ${embedded.info.owner}`})`
      : `PostgreSQL at ${redact(url)}`;
    return {
      prisma,
      url,
      description,
      appliedMigrations,
      close: async () => {
        await prisma.$disconnect();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/** Applies pending migrations through one plain connection (Prisma's advisory lock keeps concurrent ones apart). */
export async function migrate(url: string): Promise<string[]> {
  // Typed as a plain pg.Client: NameAsTextClient only relabels result columns.
  const client: pg.Client = new NameAsTextClient({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Cannot connect to the PostgreSQL server at ${redact(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const session: SqlSession = {
      exec: async (sql) => void (await client.query(sql)),
      query: async <Row>(sql: string, params?: readonly unknown[]) =>
        (await client.query<pg.QueryResultRow>(sql, params ? [...params] : undefined)).rows as Row[],
    };
    return await applyMigrations(session, await readMigrations());
  } finally {
    await client.end();
  }
}
