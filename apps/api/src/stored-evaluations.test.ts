// Evaluations as stored results, through the whole API: evaluateCheckpoint stores what it measured, and
// Checkpoint.evaluations, Model.evaluations and evaluation(id) read it back, after a restart too, without evaluating
// again. An evaluation goes with its checkpoint and outlives its dataset's registration.
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildResNet, exportStateDict, resolveResNetConfig, writeSafetensors } from '@resnet-lab/resnet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWorkerProcess, type StartWorker } from './training/worker-process.js';
import { startTestApi, type TestApi } from '../test-support/test-api.js';
import { createTestDatabase } from '../test-support/test-database.js';

const TINY = { arch: 'resnet18', width: 0.0625, classes: 4, inputSize: 16 } as const;
const CLASS_NAMES = ['horizontal-stripes', 'vertical-stripes', 'diagonal-stripes', 'checkerboard'];

const FIELDS = /* GraphQL */ `
  fragment Fields on Evaluation {
    id
    checkpoint {
      id
    }
    dataset {
      name
    }
    datasetName
    split
    images
    loss
    accuracy
    perClass {
      label
      images
      accuracy
    }
    classNames
    confusionMatrix
    durationSeconds
    createdAt
  }
`;
const EVALUATE = `mutation($input: EvaluateCheckpointInput!) { evaluateCheckpoint(input: $input) { ...Fields } } ${FIELDS}`;
const OF_CHECKPOINT = `query($id: ID!) { checkpoint(id: $id) { evaluations { ...Fields } } } ${FIELDS}`;
const OF_MODEL = `query($first: Int) { model(name: "tiny") { evaluations(first: $first) { ...Fields } } } ${FIELDS}`;
const ONE = `query($id: ID!) { evaluation(id: $id) { ...Fields } } ${FIELDS}`;

interface Evaluation {
  id: string;
  checkpoint: { id: string };
  dataset: { name: string } | null;
  datasetName: string;
  split: string;
  images: number;
  loss: number;
  accuracy: number;
  perClass: { label: string; images: number; accuracy: number }[];
  classNames: string[];
  confusionMatrix: number[][];
  durationSeconds: number;
  createdAt: string;
}

let databaseUrl: string;
/** The API under test: the first one, then the one started after it on the same database. */
let test: TestApi;
/** Whether `test` was stopped for the restart and no other started yet. */
let stopped = false;
/** Worker processes the first API started: one for all its evaluations, which run one after another in it. */
let workerStarts = 0;
/** The process id of each. */
const workerPids: number[] = [];
let checkpointId: string;
let versionId: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  const countingWorker: StartWorker = (onMessage) => {
    workerStarts++;
    const worker = startWorkerProcess(onMessage);
    workerPids.push(worker.pid);
    return worker;
  };
  test = await startTestApi({ DATABASE_URL: databaseUrl }, { startWorker: countingWorker });
  const model = buildResNet(resolveResNetConfig(TINY), { seed: 5 });
  try {
    await fs.writeFile(
      path.join(test.dataDir, 'imports', 'tiny.safetensors'),
      writeSafetensors(exportStateDict(model)),
    );
  } finally {
    model.dispose();
  }
  for (const mutation of [
    `mutation { createModel(input: { name: "tiny", arch: "resnet18", width: 0.0625, classes: 4, inputSize: 16 }) { id } }`,
    `mutation { registerDataset(input: { name: "tiny", format: SYNTHETIC,
      synthetic: { classes: 4, imageSize: 16, trainCount: 24, testCount: 8 } }) { id } }`,
    `mutation { registerDataset(input: { name: "tiny-copy", format: SYNTHETIC,
      synthetic: { classes: 4, imageSize: 16, trainCount: 24, testCount: 8 } }) { id } }`,
  ]) {
    expect((await test.execute(mutation)).errors).toBeUndefined();
  }
  const imported = await test.execute<{ importModelVersion: { id: string; checkpoint: { id: string } } }>(
    `mutation { importModelVersion(input: { modelName: "tiny", datasetName: "tiny", path: "tiny.safetensors" }) {
      id checkpoint { id } } }`,
  );
  expect(imported.errors).toBeUndefined();
  ({
    id: versionId,
    checkpoint: { id: checkpointId },
  } = imported.data!.importModelVersion);
}, 120_000);
afterAll(async () => {
  if (!stopped) await test?.close();
});

async function evaluate(input: Record<string, unknown>): Promise<Evaluation> {
  const result = await test.execute<{ evaluateCheckpoint: Evaluation }>(EVALUATE, {
    input: { checkpointId, ...input },
  });
  expect(result.errors).toBeUndefined();
  return result.data!.evaluateCheckpoint;
}

/** What the confusion matrix implies: its total, each class's images (its row) and accuracy (diagonal / row). */
function implied(evaluation: Evaluation) {
  const rows = evaluation.confusionMatrix.map((row) => row.reduce((total, count) => total + count, 0));
  const correct = evaluation.confusionMatrix.reduce((total, row, label) => total + row[label]!, 0);
  return {
    images: rows.reduce((total, count) => total + count, 0),
    accuracy: correct / evaluation.images,
    perClass: evaluation.classNames.map((label, index) => ({
      label,
      images: rows[index]!,
      accuracy: evaluation.confusionMatrix[index]![index]! / rows[index]!,
    })),
  };
}

let first: Evaluation;
let second: Evaluation;

describe('evaluateCheckpoint', () => {
  it("stores a measurement of the run's dataset, then one of a chosen dataset and split, in one worker process", async () => {
    first = await evaluate({});
    second = await evaluate({ datasetName: 'tiny-copy', split: 'ALL' });
    expect(workerStarts).toBe(1);

    expect(first).toMatchObject({
      checkpoint: { id: checkpointId },
      dataset: { name: 'tiny' },
      datasetName: 'tiny',
      split: 'TEST',
      images: 8,
      classNames: CLASS_NAMES,
    });
    expect(implied(first)).toEqual({
      images: 8,
      accuracy: first.accuracy,
      perClass: first.perClass,
    });
    expect(first.perClass.map((entry) => entry.images)).toEqual([2, 2, 2, 2]);

    expect(second).toMatchObject({
      checkpoint: { id: checkpointId },
      dataset: { name: 'tiny-copy' },
      datasetName: 'tiny-copy',
      split: 'ALL',
      images: 32,
      classNames: CLASS_NAMES,
    });
    expect(implied(second)).toEqual({ images: 32, accuracy: second.accuracy, perClass: second.perClass });
    expect(second.perClass.map((entry) => entry.images)).toEqual([8, 8, 8, 8]);

    expect(second.id).not.toBe(first.id);
    expect(Date.parse(second.createdAt)).toBeGreaterThanOrEqual(Date.parse(first.createdAt));
    expect(await test.api.services.prisma.evaluation.count()).toBe(2);
  }, 120_000);

  it('lists them per checkpoint and per model, newest first, field for field as evaluateCheckpoint answered', async () => {
    expect(await test.execute(OF_CHECKPOINT, { id: checkpointId })).toEqual({
      data: { checkpoint: { evaluations: [second, first] } },
      errors: undefined,
    });
    expect(await test.execute(OF_MODEL, {})).toEqual({
      data: { model: { evaluations: [second, first] } },
      errors: undefined,
    });
    expect(await test.execute(OF_MODEL, { first: 1 })).toEqual({
      data: { model: { evaluations: [second] } },
      errors: undefined,
    });
    expect(workerStarts).toBe(1);
  });

  it('reads one by id, and null for an unknown id', async () => {
    expect(await test.execute(ONE, { id: first.id })).toEqual({ data: { evaluation: first }, errors: undefined });
    expect(await test.execute(ONE, { id: 'missing' })).toEqual({ data: { evaluation: null }, errors: undefined });
  });

  it('refuses what it refused before, with the same errors, and stores nothing for them', async () => {
    const errorsOf = async (input: Record<string, unknown>) =>
      (await test.execute(EVALUATE, { input })).errors?.map((error) => [error.message, error.extensions]);
    expect(await errorsOf({ checkpointId: 'missing' })).toEqual([
      ["No checkpoint with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
    expect(await errorsOf({ checkpointId, datasetName: 'nope' })).toEqual([
      ["No dataset named 'nope'.", { code: 'BAD_USER_INPUT', field: 'datasetName', value: 'nope' }],
    ]);
    expect(await errorsOf({ checkpointId, datasetName: 'synthetic' })).toEqual([
      [
        "Dataset 'synthetic' has classes [horizontal-stripes, vertical-stripes, diagonal-stripes, checkerboard, dots, " +
          'grid, disc, ring, cross, plain], the checkpoint [horizontal-stripes, vertical-stripes, diagonal-stripes, ' +
          'checkerboard]: they must be the same, in the same order.',
        { code: 'BAD_USER_INPUT', field: 'datasetName', value: 'synthetic' },
      ],
    ]);
    expect(workerStarts).toBe(1);
    expect(await test.api.services.prisma.evaluation.count()).toBe(2);
  });

  it("refuses a page size outside 1 to 100 for a model's evaluations", async () => {
    const result = await test.execute(OF_MODEL, { first: 0 });
    expect(result.errors?.map((error) => [error.message, error.extensions])).toEqual([
      ['Expected first from 1 to 100, got 0.', { code: 'BAD_USER_INPUT', field: 'first', value: 0 }],
    ]);
  });
});

describe('a stored evaluation', () => {
  it("outlives its dataset's registration: its dataset becomes null, its datasetName stays", async () => {
    const { id } = await test.api.services.prisma.dataset.findUniqueOrThrow({ where: { name: 'tiny-copy' } });
    expect(await test.execute(`mutation($id: ID!) { deleteDataset(id: $id) }`, { id })).toEqual({
      data: { deleteDataset: id },
      errors: undefined,
    });
    second = { ...second, dataset: null };
    expect(await test.execute(ONE, { id: second.id })).toEqual({ data: { evaluation: second }, errors: undefined });
  });

  it('is stored without its dataset when the registration goes while it is measured', async () => {
    const { checkpoints, prisma } = test.api.services;
    const measure = checkpoints.evaluate.bind(checkpoints);
    vi.spyOn(checkpoints, 'evaluate').mockImplementationOnce(async (input) => {
      const measured = await measure(input);
      await prisma.dataset.delete({ where: { id: measured.dataset.id } });
      return measured;
    });
    expect(
      (
        await test.execute(`mutation { registerDataset(input: { name: "going", format: SYNTHETIC,
        synthetic: { classes: 4, imageSize: 16, trainCount: 24, testCount: 8 } }) { id } }`)
      ).errors,
    ).toBeUndefined();
    const going = await evaluate({ datasetName: 'going' });
    expect(going).toMatchObject({ dataset: null, datasetName: 'going', split: 'TEST', images: 8 });
    expect(await test.execute(ONE, { id: going.id })).toEqual({ data: { evaluation: going }, errors: undefined });
    await prisma.evaluation.delete({ where: { id: going.id } });
    vi.restoreAllMocks();
  }, 120_000);

  it('survives a restart of the API: read from the database, not measured again', async () => {
    stopped = true;
    await test.close();
    // The worker kept for another evaluation was stopped with the API: no process is left behind.
    expect(workerPids).toHaveLength(1);
    expect(() => process.kill(workerPids[0]!, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    let restartedWorkerStarts = 0;
    test = await startTestApi(
      { DATABASE_URL: databaseUrl },
      {
        startWorker: (onMessage) => {
          restartedWorkerStarts++;
          return startWorkerProcess(onMessage);
        },
      },
    );
    stopped = false;
    expect(await test.execute(OF_CHECKPOINT, { id: checkpointId })).toEqual({
      data: { checkpoint: { evaluations: [second, first] } },
      errors: undefined,
    });
    expect(await test.execute(ONE, { id: first.id })).toEqual({ data: { evaluation: first }, errors: undefined });
    expect(restartedWorkerStarts).toBe(0);
  }, 120_000);

  it('goes with its checkpoint, and is not stored when the checkpoint goes while it is measured (CONFLICT)', async () => {
    const { checkpoints, prisma } = test.api.services;
    const checkpoint = await prisma.checkpoint.findUniqueOrThrow({ where: { id: checkpointId } });
    const dataset = await prisma.dataset.findUniqueOrThrow({ where: { name: 'tiny' } });
    // Measured as a worker would have, while the checkpoint and its version are deleted.
    vi.spyOn(checkpoints, 'evaluate').mockImplementationOnce(async () => {
      await prisma.modelVersion.delete({ where: { id: versionId } });
      await prisma.checkpoint.delete({ where: { id: checkpointId } });
      return {
        checkpoint,
        dataset,
        split: 'TEST',
        evaluation: {
          count: 2,
          correct: 1,
          accuracy: 0.5,
          loss: 1,
          classNames: CLASS_NAMES,
          perClassAccuracy: [1, 0, null, null],
          confusionMatrix: [
            [1, 0, 0, 0],
            [1, 0, 0, 0],
            [0, 0, 0, 0],
            [0, 0, 0, 0],
          ],
        },
        durationSeconds: 1,
      };
    });
    const result = await test.execute(EVALUATE, { input: { checkpointId } });
    expect(result.errors?.map((error) => [error.message, error.extensions])).toEqual([
      [
        `Checkpoint ${checkpointId} was deleted while it was being evaluated; the evaluation was not stored.`,
        { code: 'CONFLICT' },
      ],
    ]);
    vi.restoreAllMocks();
    expect(await test.api.services.prisma.evaluation.count()).toBe(0);
    expect(await test.execute(ONE, { id: first.id })).toEqual({ data: { evaluation: null }, errors: undefined });
    expect(await test.execute(OF_MODEL, {})).toEqual({ data: { model: { evaluations: [] } }, errors: undefined });
  });
});
