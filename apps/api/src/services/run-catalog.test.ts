// The runs list on a real database: keyset pages in all six orders with ties and nulls, the count beside them, and
// the dashboard's Models page in a constant number of statements however many models it lists.
import os from 'node:os';
import { execute, parse, type ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test-support/test-database.js';
import { ALL_RUN_ORDERS, expectedRunOrder, tiedRuns } from '../../test-support/tied-runs.js';
import { DirectoryArtifactStore } from '../artifacts/directory-artifact-store.js';
import type { ApiContext, Services } from '../context.js';
import { openDatabase, type Database } from '../db/database.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { buildSchema } from '../graphql/schema.js';
import { CheckpointService } from './checkpoint-service.js';
import { DatasetService } from './dataset-service.js';
import { ModelService } from './model-service.js';
import { RunCatalog, type RunListArgs } from './run-catalog.js';

/** This file reads no dataset: any directories do. */
const DATASET_PATHS = { dataDir: os.tmpdir(), datasetRoots: [os.tmpdir()], cacheDir: os.tmpdir() };

let database: Database;
let catalog: RunCatalog;
let models: ModelService;
let datasetId: string;

beforeAll(async () => {
  database = await openDatabase({ dataDir: os.tmpdir(), databaseUrl: await createTestDatabase('run_catalog') });
  const { prisma } = database;
  models = new ModelService(prisma);
  catalog = new RunCatalog(prisma, models, new DatasetService(prisma, DATASET_PATHS));
  datasetId = (
    await prisma.dataset.create({
      data: {
        name: 'tiny',
        format: 'SYNTHETIC',
        location: 'synthetic',
        classNames: ['a', 'b'],
        options: { classes: 2, trainCount: 8, testCount: 4, imageSize: 8 },
      },
    })
  ).id;
  const model = await models.create({ name: 'tied', arch: 'resnet18', width: 0.0625, classes: 2, inputSize: 8 });
  await prisma.run.createMany({
    data: tiedRuns().map((run, index) => ({
      ...run,
      modelId: model.id,
      datasetId,
      config: { learningRate: 0.1, milestones: [50, 100], augment: index % 2 === 0 },
      epochs: 1,
      outputDir: '',
      status: index % 3 === 0 ? 'COMPLETED' : 'QUEUED',
    })),
  });
});
afterAll(async () => {
  await database?.close();
});

/** A client over the same database that counts the statements it sends (each Prisma operation here is one). */
function countStatements(prisma: PrismaClient): { readonly client: PrismaClient; count(): number } {
  let statements = 0;
  const client = prisma.$extends({
    query: {
      $allOperations: ({ args, query }) => {
        statements++;
        return query(args);
      },
    },
  });
  // The extended client has PrismaClient's methods with the same signatures; only its declared type differs.
  return { client: client as unknown as PrismaClient, count: () => statements };
}

/** Every page from the first to the last, with the totalCount of each; fails past 100 pages, which none has. */
async function allPages(args: RunListArgs): Promise<{ ids: string[][]; totalCounts: number[] }> {
  const ids: string[][] = [];
  const totalCounts: number[] = [];
  let after: string | null = null;
  for (;;) {
    if (ids.length === 100) throw new Error(`Expected the pages to end, got 100: ${JSON.stringify(ids.flat())}`);
    const page = await catalog.list({ ...args, after });
    ids.push(page.edges.map((edge) => edge.node.id));
    totalCounts.push(page.totalCount);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    if (!page.pageInfo.hasNextPage) return { ids, totalCounts };
    after = page.pageInfo.endCursor;
  }
}

describe('RunCatalog.list', () => {
  it.each(ALL_RUN_ORDERS)('pages by $field $direction, 4 at a time, exactly as one sorted list', async (orderBy) => {
    const { ids, totalCounts } = await allPages({ orderBy, first: 4 });
    expect(ids.map((page) => page.length)).toEqual([4, 4, 4, 4, 4, 4, 1]);
    expect(ids.flat()).toEqual(expectedRunOrder(tiedRuns(), orderBy));
    expect(totalCounts).toEqual([25, 25, 25, 25, 25, 25, 25]);
  });

  it.each(ALL_RUN_ORDERS)('pages by $field $direction with a page ending at every run', async (orderBy) => {
    const expected = expectedRunOrder(tiedRuns(), orderBy);
    for (const first of [1, 2, 3, 5, 6]) {
      const { ids } = await allPages({ orderBy, first });
      expect(ids.flat(), `first: ${first}`).toEqual(expected);
    }
  });

  it('counts and pages the runs of the filter alone', async () => {
    const orderBy = { field: 'BEST_TEST_ACCURACY', direction: 'DESC' } as const;
    const completed = tiedRuns().filter((_, index) => index % 3 === 0);
    const { ids, totalCounts } = await allPages({ filter: { status: ['COMPLETED'] }, orderBy, first: 4 });
    expect(ids.flat()).toEqual(expectedRunOrder(completed, orderBy));
    expect(totalCounts).toEqual([9, 9, 9]);
  });

  it('reads runs, their model and their dataset as Prisma does: dates, enums, JSON, arrays and BigInt alike', async () => {
    const { prisma } = database;
    const { node } = (await catalog.list({ filter: { status: ['COMPLETED'] }, first: 1 })).edges[0]!;
    expect(node).toEqual(await prisma.run.findUniqueOrThrow({ where: { id: node.id } }));
    expect(node.createdAt).toBeInstanceOf(Date);
    expect(await catalog.model(node)).toEqual(await prisma.model.findUniqueOrThrow({ where: { id: node.modelId } }));
    expect(typeof (await catalog.model(node)).parameterCount).toBe('bigint');
    expect(await catalog.dataset(node)).toEqual(await prisma.dataset.findUniqueOrThrow({ where: { id: datasetId } }));
  });

  it('takes a cursor value as a parameter, whatever it holds', async () => {
    const orderBy = { field: 'NAME', direction: 'ASC' } as const;
    const forged = { ...orderBy, value: "name-1' OR 'x'='x", id: 'run-99' };
    const page = await catalog.list({
      orderBy,
      first: 100,
      after: Buffer.from(JSON.stringify(forged)).toString('base64url'),
    });
    expect(page.edges.map((edge) => edge.node.id)).toEqual(
      expectedRunOrder(tiedRuns(), orderBy).filter((id) => tiedRuns().find((run) => run.id === id)!.name > 'name-1'),
    );
  });

  it('pages past accuracies that differ only in their 17th significant digit', async () => {
    const { prisma } = database;
    const model = await models.create({ name: 'close', arch: 'resnet18', width: 0.0625, classes: 2, inputSize: 8 });
    // 0.1 + 0.2 is 0.30000000000000004, the double after 0.3. Prisma rounds the numbers it sends to 16 significant
    // digits, so the runs are stored by SQL: other writers than this API can store any double.
    const runs = [0.3, 0.1 + 0.2, 0.3, 0.1 + 0.2].map((bestTestAccuracy, index) => ({
      id: `close-${index}`,
      name: 'close',
      createdAt: new Date(Date.UTC(2026, 0, 1)),
      bestTestAccuracy,
    }));
    try {
      await prisma.run.createMany({
        data: runs.map(({ id, name }) => ({
          id,
          name,
          modelId: model.id,
          datasetId,
          config: {},
          epochs: 1,
          outputDir: '',
        })),
      });
      for (const run of runs) {
        await prisma.$executeRaw`
          UPDATE "Run" SET "bestTestAccuracy" = CAST(${String(run.bestTestAccuracy)} AS double precision)
          WHERE "id" = ${run.id}`;
      }
      for (const direction of ['ASC', 'DESC'] as const) {
        const orderBy = { field: 'BEST_TEST_ACCURACY', direction } as const;
        const { ids } = await allPages({ filter: { modelId: model.id }, orderBy, first: 1 });
        expect(ids.flat(), direction).toEqual(expectedRunOrder(runs, orderBy));
      }
    } finally {
      await prisma.run.deleteMany({ where: { modelId: model.id } });
      await prisma.model.delete({ where: { id: model.id } });
    }
  });

  it('starts newest first by default', async () => {
    const page = await catalog.list({ first: 3 });
    expect(page.edges.map((edge) => edge.node.id)).toEqual(
      expectedRunOrder(tiedRuns(), { field: 'CREATED_AT', direction: 'DESC' }).slice(0, 3),
    );
  });

  it('refuses a malformed cursor and a page size outside 1 to 100 with BAD_USER_INPUT', async () => {
    await expect(catalog.list({ after: 'garbage' })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'after', value: 'garbage' },
    });
    for (const first of [0, 101]) {
      await expect(catalog.list({ first })).rejects.toMatchObject({
        message: `Expected first from 1 to 100, got ${first}.`,
        extensions: { code: 'BAD_USER_INPUT', field: 'first', value: first },
      });
    }
  });
});

describe("a model's runs", () => {
  // The dashboard's Models page, with runCount and runs(first).
  const MODELS_QUERY = parse(`{
    models {
      id name description parameterCount macs createdAt
      architecture { arch stem width classes inputSize }
      stages { name outputSize channels blocks description parameters macs }
      runCount
      runs(first: 2) { name status bestTestAccuracy }
      versions { id version aliases createdAt checkpoint { id epoch testAccuracy run { id name } } }
    }
  }`);

  /** Adds models named `prefix-0..` with `runs` runs each, created a minute apart; the first gets a version. */
  async function addModels(prefix: string, count: number, runs: number): Promise<void> {
    const { prisma } = database;
    for (let index = 0; index < count; index++) {
      const model = await models.create({
        name: `${prefix}-${index}`,
        arch: 'resnet18',
        width: 0.0625,
        classes: 2,
        inputSize: 8,
      });
      for (let number = 1; number <= runs; number++) {
        const run = await prisma.run.create({
          data: {
            name: `${model.name} #${number}`,
            modelId: model.id,
            datasetId,
            config: {},
            epochs: 1,
            outputDir: '',
            createdAt: new Date(Date.UTC(2026, 1, 1, 0, number)),
          },
        });
        if (index === 0 && number === 1) {
          const checkpoint = await prisma.checkpoint.create({
            data: { runId: run.id, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: 'x' },
          });
          const version = await prisma.modelVersion.create({
            data: { modelId: model.id, version: 1, checkpointId: checkpoint.id, location: 'y' },
          });
          for (const alias of ['staging', 'production']) {
            await prisma.modelAlias.create({ data: { modelId: model.id, alias, versionId: version.id } });
          }
        }
      }
    }
  }

  /** Runs the query as the API does, counting the SQL statements its resolvers send. */
  async function modelsPage(): Promise<{ result: ExecutionResult; statements: number }> {
    const counter = countStatements(database.prisma);
    const { client } = counter;
    const modelService = new ModelService(client);
    const datasetService = new DatasetService(client, DATASET_PATHS);
    const runCatalog = new RunCatalog(client, modelService, datasetService);
    const checkpoints = new CheckpointService(client, new DirectoryArtifactStore(os.tmpdir()), datasetService);
    // The query reads models, checkpoints and runs only, so the other services are left out.
    const services = { models: modelService, runCatalog, checkpoints } as Partial<Services> as Services;
    const contextValue: ApiContext = { services, authorized: true };
    const result = await execute({ schema: await buildSchema(), document: MODELS_QUERY, contextValue });
    return { result, statements: counter.count() };
  }

  it('lists the newest runs of each model and counts them all, in the same statements for 3 models as for 9', async () => {
    await addModels('few', 2, 3);
    const few = await modelsPage();
    expect(few.result.errors).toBeUndefined();
    await addModels('many', 6, 5);
    const many = await modelsPage();
    expect(many.result.errors).toBeUndefined();
    // The models, their newest runs, their run counts, the versions, their aliases, their checkpoints and the
    // checkpoints' runs.
    expect([few.statements, many.statements]).toEqual([7, 7]);
    const listed = (many.result.data as { models: { name: string }[] }).models;
    expect(listed).toHaveLength(9);
    const queued = { status: 'QUEUED', bestTestAccuracy: null };
    expect(listed.find((model) => model.name === 'few-0')).toMatchObject({
      runCount: 3,
      runs: [
        { name: 'few-0 #3', ...queued },
        { name: 'few-0 #2', ...queued },
      ],
      versions: [
        { version: 1, aliases: ['production', 'staging'], checkpoint: { epoch: 1, run: { name: 'few-0 #1' } } },
      ],
    });
    expect(listed.find((model) => model.name === 'many-5')).toMatchObject({
      runCount: 5,
      runs: [
        { name: 'many-5 #5', ...queued },
        { name: 'many-5 #4', ...queued },
      ],
      versions: [],
    });
    expect(listed.find((model) => model.name === 'tied')).toMatchObject({ runCount: 25 });
  });

  it('refuses a page size outside 1 to 100 with BAD_USER_INPUT naming first', async () => {
    await expect(models.runs('any', 0)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'first', value: 0 },
    });
    await expect(models.runs('any', 101)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'first', value: 101 },
    });
  });
});
