// Per-batch metrics on a real database: what the RunRecorder stores of a run's batch events, and Run.batchMetrics
// reading them back after the fact, whole or evenly thinned, with the errors of a maxPoints out of range.
import os from 'node:os';
import type { BatchEvent } from '@resnet-lab/trainer';
import { execute, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test-support/test-database.js';
import { DirectoryArtifactStore } from '../artifacts/directory-artifact-store.js';
import type { ApiContext, Services } from '../context.js';
import { openDatabase, type Database } from '../db/database.js';
import { buildSchema } from '../graphql/schema.js';
import { DatasetService } from './dataset-service.js';
import { ModelService } from './model-service.js';
import { RunCatalog } from './run-catalog.js';
import { RunRecorder } from './run-recorder.js';

/** This file reads no dataset: any directories do. */
const DATASET_PATHS = { dataDir: os.tmpdir(), datasetRoots: [os.tmpdir()], cacheDir: os.tmpdir() };
const BACKEND = { name: 'cpu', device: 'CPU' };

let database: Database;
let services: Services;
let modelId: string;
let datasetId: string;

beforeAll(async () => {
  database = await openDatabase({ dataDir: os.tmpdir(), databaseUrl: await createTestDatabase('batch_metrics') });
  const { prisma } = database;
  const models = new ModelService(prisma);
  const runCatalog = new RunCatalog(prisma, models, new DatasetService(prisma, DATASET_PATHS));
  // The queries here read runs and their batch metrics only, so the other services are left out.
  services = { runCatalog } as Partial<Services> as Services;
  modelId = (await models.create({ name: 'batches', arch: 'resnet18', width: 0.0625, classes: 2, inputSize: 8 })).id;
  datasetId = (
    await prisma.dataset.create({
      data: { name: 'batches', format: 'SYNTHETIC', location: 'synthetic', classNames: ['a', 'b'] },
    })
  ).id;
});
afterAll(async () => {
  await database?.close();
});

/** A recorder as a worker process has one; each call is a fresh process that saw none of the run's events. */
function newRecorder(): RunRecorder {
  return new RunRecorder(database.prisma, new DirectoryArtifactStore(os.tmpdir()));
}

async function createRun(epochs: number): Promise<string> {
  const run = await database.prisma.run.create({
    data: { name: 'batches', modelId, datasetId, config: {}, epochs, outputDir: '', status: 'RUNNING' },
  });
  return run.id;
}

/** Batch `batch` of `batches` in epoch `epoch`; its loss is its step / 10, its learning rate its epoch / 10. */
function batchEvent(epoch: number, batch: number, batches: number): BatchEvent {
  const step = (epoch - 1) * batches + batch;
  return {
    kind: 'batch',
    backend: BACKEND,
    epoch,
    batch,
    batches,
    loss: step / 10,
    accuracy: 0.5,
    learningRate: epoch / 10,
    imagesPerSecond: 100,
    elapsedSeconds: step,
  };
}

/** Records the start of a run, then every batch of `epochs` epochs of `batches`. */
async function recordBatches(recorder: RunRecorder, runId: string, epochs: number, batches: number) {
  await recorder.record(
    runId,
    {
      kind: 'start',
      backend: BACKEND,
      epochs,
      firstEpoch: 1,
      batchesPerEpoch: batches,
      trainImages: batches * 16,
      testImages: 0,
      classNames: ['a', 'b'],
      trainableParams: 1,
      macs: 1,
    },
    null,
  );
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let batch = 1; batch <= batches; batch++)
      await recorder.record(runId, batchEvent(epoch, batch, batches), null);
  }
}

const BATCH_METRICS = parse(`query($id: ID!, $maxPoints: Int!) {
  run(id: $id) { batchMetrics(maxPoints: $maxPoints) { epoch batch step loss accuracy learningRate } }
}`);
const DEFAULT_BATCH_METRICS = parse(`query($id: ID!) { run(id: $id) { batchMetrics { step } } }`);

async function query(document: ReturnType<typeof parse>, variableValues: Record<string, unknown>) {
  const contextValue: ApiContext = { services, authorized: true };
  return execute({ schema: await buildSchema(), document, variableValues, contextValue });
}

/** The point of step `step` of a run with `batches` batches per epoch, as batchEvent reports it. */
function point(step: number, batches: number) {
  const epoch = Math.ceil(step / batches);
  return { epoch, batch: step - (epoch - 1) * batches, step, loss: step / 10, accuracy: 0.5, learningRate: epoch / 10 };
}

describe('Run.batchMetrics', () => {
  it('answers every batch of a finished run after the fact, and replaying its events stores none twice', async () => {
    const runId = await createRun(2);
    const recorder = newRecorder();
    await recordBatches(recorder, runId, 2, 3);
    await recorder.finish(runId, { status: 'COMPLETED', errorMessage: null });
    const all = [1, 2, 3, 4, 5, 6].map((step) => point(step, 3));
    expect(await query(BATCH_METRICS, { id: runId, maxPoints: 1000 })).toEqual({
      data: { run: { batchMetrics: all } },
    });

    // A retried worker, or the CLI resending a request, reports the same batches again.
    const again = newRecorder();
    await recordBatches(again, runId, 2, 3);
    await again.finish(runId, { status: 'COMPLETED', errorMessage: null });
    expect(await database.prisma.batchMetric.count({ where: { runId } })).toBe(6);
    expect(await query(BATCH_METRICS, { id: runId, maxPoints: 1000 })).toEqual({
      data: { run: { batchMetrics: all } },
    });
  });

  it('keeps the batches reported since the last progress write when the run ends between writes', async () => {
    const runId = await createRun(1);
    const recorder = newRecorder();
    // The first batch writes progress; the next two come within PROGRESS_WRITE_INTERVAL_MS and wait in memory.
    for (const batch of [1, 2, 3]) await recorder.record(runId, batchEvent(1, batch, 10), null);
    expect(await database.prisma.batchMetric.count({ where: { runId } })).toBe(1);
    await recorder.finish(runId, { status: 'CANCELLED', errorMessage: null });
    expect(await query(BATCH_METRICS, { id: runId, maxPoints: 1000 })).toEqual({
      data: { run: { batchMetrics: [point(1, 10), point(2, 10), point(3, 10)] } },
    });
  });

  it('returns at most maxPoints evenly spaced points, the first and last included', async () => {
    const runId = await createRun(2);
    const recorder = newRecorder();
    await recordBatches(recorder, runId, 2, 3);
    await recorder.finish(runId, { status: 'COMPLETED', errorMessage: null });
    // Rows 0 to 5: floor(i * 2 / 5) first takes 0, 1 and 2 at rows 0, 3 and 5.
    expect(await query(BATCH_METRICS, { id: runId, maxPoints: 3 })).toEqual({
      data: { run: { batchMetrics: [point(1, 3), point(4, 3), point(6, 3)] } },
    });
    expect(await query(BATCH_METRICS, { id: runId, maxPoints: 1 })).toEqual({
      data: { run: { batchMetrics: [point(1, 3)] } },
    });
  });

  it('stores a sample of a long run, each epoch end included, and answers 1000 points of it by default', async () => {
    // 3 epochs of 999 batches: stride ceil(2997 / 1997) = 2, so the 1498 even steps and the odd epoch ends 999 and 2997.
    const runId = await createRun(3);
    const recorder = newRecorder();
    await recordBatches(recorder, runId, 3, 999);
    await recorder.finish(runId, { status: 'COMPLETED', errorMessage: null });
    const stored = await database.prisma.batchMetric.findMany({ where: { runId }, orderBy: { step: 'asc' } });
    expect(stored).toHaveLength(1500);
    expect(stored.slice(0, 3).map((row) => row.step)).toEqual([2, 4, 6]);
    expect(stored.filter((row) => row.batch === 999).map((row) => row.step)).toEqual([999, 1998, 2997]);

    const result = await query(DEFAULT_BATCH_METRICS, { id: runId });
    const steps = (result.data as { run: { batchMetrics: { step: number }[] } }).run.batchMetrics.map(
      (metric) => metric.step,
    );
    expect(steps).toHaveLength(1000);
    expect([steps[0], steps.at(-1)]).toEqual([2, 2997]);
    expect(steps.every((step, index) => index === 0 || step > steps[index - 1]!)).toBe(true);
    const all = await query(BATCH_METRICS, { id: runId, maxPoints: 5000 });
    expect((all.data as { run: { batchMetrics: unknown[] } }).run.batchMetrics).toHaveLength(1500);
  });

  it('refuses maxPoints outside 1 to 5000 with BAD_USER_INPUT naming it', async () => {
    const runId = await createRun(1);
    for (const maxPoints of [0, 6000]) {
      const result = await query(BATCH_METRICS, { id: runId, maxPoints });
      expect(JSON.parse(JSON.stringify(result))).toEqual({
        data: { run: null },
        errors: [
          {
            message: `Expected maxPoints to be from 1 to 5000, got ${maxPoints}.`,
            locations: [{ line: 2, column: 18 }],
            path: ['run', 'batchMetrics'],
            extensions: { code: 'BAD_USER_INPUT', field: 'maxPoints', value: maxPoints },
          },
        ],
      });
    }
  });
});
