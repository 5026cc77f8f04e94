// The tracking database on a real PostgreSQL server: the API's start-up migrator and the Prisma CLI (`prisma migrate`
// through prisma.config.ts) apply the same migrations with the same `_prisma_migrations` bookkeeping.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import { ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MigrationError,
  applyMigrations,
  openDatabase,
  postgresAdapterFactory,
  readMigrations,
  redact,
  type SqlSession,
} from '@resnet-lab/api';

import { startPostgresServer, type PostgresServer } from './support/postgres-server.js';

const root = path.resolve(import.meta.dirname, '..');
const prismaBin = path.join(root, 'node_modules', '.bin', 'prisma');
/** Each CLI run lingers about 10 s after its work: see `prisma` below. */
const CLI_TIMEOUT_MS = 60_000;
const SERVER_TIMEOUT_MS = 120_000;
const CLI_TEST = { timeout: 3 * CLI_TIMEOUT_MS };
const TABLES = [
  'BatchMetric',
  'Checkpoint',
  'Dataset',
  'EpochMetric',
  'Evaluation',
  'Model',
  'ModelAlias',
  'ModelVersion',
  'Prediction',
  'Run',
  'RunLog',
  'SystemMetric',
  'Worker',
  '_prisma_migrations',
];

/**
 * Runs the Prisma CLI as `npx prisma` would, against the database at `databaseUrl`. Even on success the process only
 * exits about 10 s after its output: pg's pool keeps its idle connection for idleTimeoutMillis (10 s) since the CLI
 * never disposes the adapter, and `migrate deploy` also leaves the schema engine's 10 s advisory-lock timer running.
 */
async function prisma(databaseUrl: string, ...args: string[]) {
  const env = { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' };
  try {
    const { stdout, stderr } = await promisify(execFile)(prismaBin, args, { cwd: root, env, timeout: CLI_TIMEOUT_MS });
    return { exitCode: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number | null; killed: boolean; stdout: string; stderr: string };
    if (failed.killed) {
      throw new Error(`prisma ${args.join(' ')} did not exit within ${CLI_TIMEOUT_MS} ms:\n${failed.stdout}`, {
        cause: error,
      });
    }
    return { exitCode: failed.code, output: failed.stdout + failed.stderr };
  }
}

async function withClient<T>(databaseUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function publicTables(databaseUrl: string): Promise<string[]> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = \'public\' ORDER BY table_name COLLATE "C"',
    );
    return rows.map((row) => row.table_name);
  });
}

describe('tracking database on PostgreSQL', () => {
  let server: PostgresServer;
  let dataDir: string;
  let migrationNames: string[];

  beforeAll(async () => {
    server = await startPostgresServer();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-data-'));
    migrationNames = (await readMigrations()).map((migration) => migration.name);
  }, SERVER_TIMEOUT_MS);

  afterAll(async () => {
    await server?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  }, SERVER_TIMEOUT_MS);

  it('applies the migrations on the first open, none on the next, and serves Prisma Client', async () => {
    const url = await server.createDatabase('opened_by_api');

    const first = await openDatabase({ dataDir, databaseUrl: url });
    await first.close();
    expect(first.appliedMigrations).toEqual(migrationNames);
    expect(await publicTables(url)).toEqual(TABLES);

    const second = await openDatabase({ dataDir, databaseUrl: url });
    try {
      expect(second.appliedMigrations).toEqual([]);
      expect(second.description).toBe(`PostgreSQL at ${redact(url)}`);
      expect(second.description).not.toContain(new URL(url).password);
      const created = await second.prisma.model.create({
        data: {
          name: 'm',
          arch: 'resnet18',
          stem: 'cifar',
          width: 1,
          classes: 10,
          inputSize: 32,
          parameterCount: 11_173_962n,
          macs: 555_422_720n,
        },
      });
      expect(await second.prisma.model.findUniqueOrThrow({ where: { name: 'm' } })).toEqual({
        id: created.id,
        name: 'm',
        description: '',
        arch: 'resnet18',
        stem: 'cifar',
        width: 1,
        classes: 10,
        inputSize: 32,
        parameterCount: 11_173_962n,
        macs: 555_422_720n,
        createdAt: created.createdAt,
      });
    } finally {
      await second.close();
    }
  });

  // The CLI tests spend most of their time waiting for the CLI to exit, so they wait side by side.
  it.concurrent(
    '`prisma migrate status` agrees with the API about what has been applied',
    CLI_TEST,
    async ({ expect }) => {
      const url = await server.createDatabase('status_checked_by_cli');

      const before = await prisma(url, 'migrate', 'status');
      expect(before.exitCode).toBe(1);
      expect(before.output).toMatch(
        new RegExp(`Following migrations? have not yet been applied:\n${migrationNames.join('\n')}\n`),
      );

      const database = await openDatabase({ dataDir, databaseUrl: url });
      await database.close();
      const after = await prisma(url, 'migrate', 'status');
      expect(after.exitCode).toBe(0);
      expect(after.output).toContain('Database schema is up to date!');
    },
  );

  it.concurrent(
    'a database migrated by `prisma migrate deploy` needs nothing more from the API',
    CLI_TEST,
    async ({ expect }) => {
      const url = await server.createDatabase('deployed_by_cli');

      const deploy = await prisma(url, 'migrate', 'deploy');
      expect(deploy.exitCode).toBe(0);
      expect(deploy.output).toContain('All migrations have been successfully applied.');
      expect(await publicTables(url)).toEqual(TABLES);

      const database = await openDatabase({ dataDir, databaseUrl: url });
      await database.close();
      expect(database.appliedMigrations).toEqual([]);
    },
  );

  it('reads `name` columns through the adapter the CLI uses, which plain PrismaPg cannot (prisma/orm#27403)', async () => {
    // The schema engine reads the catalogs, whose identifiers have type `name`; without NameAsTextClient every
    // `prisma migrate` command fails with "Column type 'name' could not be deserialized from the database".
    const url = server.url('postgres');
    const query = { sql: 'SELECT current_database() AS database', args: [], argTypes: [] };

    const adapter = await postgresAdapterFactory(url).connect();
    try {
      expect(await adapter.queryRaw(query)).toEqual({
        columnNames: ['database'],
        columnTypes: [ColumnTypeEnum.Text],
        rows: [['postgres']],
      });
    } finally {
      await adapter.dispose();
    }

    const plain = await new PrismaPg({ connectionString: url }).connect();
    try {
      await expect(plain.queryRaw(query)).rejects.toMatchObject({
        name: 'DriverAdapterError',
        cause: { kind: 'UnsupportedNativeDataType', type: 'name' },
      });
    } finally {
      await plain.dispose();
    }
  });

  it('refuses a migration that changed after it was applied', async () => {
    const url = await server.createDatabase('edited_migration');
    const database = await openDatabase({ dataDir, databaseUrl: url });
    await database.close();

    const [init, ...later] = await readMigrations();
    if (!init) throw new Error(`Expected at least one migration but found none.`);
    const sql = `${init.sql}\nCREATE INDEX "Model_arch_idx" ON "Model"("arch");\n`;
    const edited = { name: init.name, sql, checksum: createHash('sha256').update(sql).digest('hex') };

    await withClient(url, async (client) => {
      const session: SqlSession = {
        exec: async (statements) => void (await client.query(statements)),
        query: async <Row>(statement: string, params?: readonly unknown[]) =>
          (await client.query<pg.QueryResultRow>(statement, params ? [...params] : undefined)).rows as Row[],
      };
      const applying = applyMigrations(session, [edited, ...later]);
      await expect(applying).rejects.toThrow(MigrationError);
      await expect(applying).rejects.toThrow(
        `Migration ${init.name} was changed after it was applied to this database (checksum differs). ` +
          'Restore the original migration.sql; schema changes belong in a new migration.',
      );
    });
    const indexes = await withClient(url, (client) =>
      client.query("SELECT 1 FROM pg_indexes WHERE indexname = 'Model_arch_idx'"),
    );
    expect(indexes.rowCount).toBe(0);
  });
});
