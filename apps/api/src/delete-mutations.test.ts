// deleteModel, deleteModelVersion and deleteDataset through the whole API: what each removes, and the CONFLICT and
// NOT_FOUND errors of what they refuse.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApi, type TestApi } from '../test-support/test-api.js';

let test: TestApi;
beforeAll(async () => {
  test = await startTestApi();
});
afterAll(async () => {
  await test?.close();
});

const DELETE_MODEL = `mutation($id: ID!) { deleteModel(id: $id) }`;
const DELETE_VERSION = `mutation($id: ID!) { deleteModelVersion(id: $id) }`;
const DELETE_DATASET = `mutation($id: ID!) { deleteDataset(id: $id) }`;

/** The errors of an operation as [message, extensions] pairs. */
async function errorsOf(query: string, variables: Record<string, unknown>) {
  const result = await test.execute(query, variables);
  expect(result.data).toBeNull();
  return result.errors?.map((error) => [error.message, error.extensions]);
}

async function createModel(name: string): Promise<string> {
  return (await test.api.services.models.create({ name, arch: 'resnet18', width: 0.0625 })).id;
}

async function registerDataset(name: string): Promise<string> {
  const result = await test.execute<{ registerDataset: { id: string } }>(
    `mutation($name: String!) { registerDataset(input: { name: $name, format: SYNTHETIC }) { id } }`,
    { name },
  );
  return result.data!.registerDataset.id;
}

/** A queued run of the model on the dataset, as startRun makes it. */
async function startRun(modelName: string, datasetName: string): Promise<string> {
  const result = await test.execute<{ startRun: { id: string } }>(
    `mutation($input: StartRunInput!) { startRun(input: $input) { id } }`,
    { input: { modelName, datasetName, epochs: 1 } },
  );
  if (!result.data) throw new Error(`Expected startRun to succeed, got ${JSON.stringify(result.errors)}.`);
  return result.data.startRun.id;
}

describe('deleteModel', () => {
  it('makes a startRun that loses the race to it a CONFLICT that queued nothing', async () => {
    const id = await createModel('raced');
    // The model goes between startRun's checks and its write, as when deleteModel commits in between.
    const availability = test.api.services.datasets.availability.bind(test.api.services.datasets);
    vi.spyOn(test.api.services.datasets, 'availability').mockImplementationOnce(async (dataset) => {
      expect(await test.execute(DELETE_MODEL, { id })).toEqual({ data: { deleteModel: id }, errors: undefined });
      return availability(dataset);
    });
    const result = await test.execute(`mutation($input: StartRunInput!) { startRun(input: $input) { id } }`, {
      input: { modelName: 'raced', datasetName: 'synthetic', epochs: 1 },
    });
    expect(result.errors?.map((error) => [error.message, error.extensions])).toEqual([
      [
        "Model 'raced' or dataset 'synthetic' was deleted while the run was being queued; nothing was queued.",
        { code: 'CONFLICT' },
      ],
    ]);
    expect(await test.api.services.prisma.run.count({ where: { modelId: id } })).toBe(0);
    vi.restoreAllMocks();
  });

  it('deletes a model without runs and returns its id', async () => {
    const id = await createModel('unused');
    expect(await test.execute(DELETE_MODEL, { id })).toEqual({ data: { deleteModel: id }, errors: undefined });
    expect((await test.execute(`query($id: ID) { model(id: $id) { id } }`, { id })).data).toEqual({ model: null });
  });

  it('refuses a model with runs with CONFLICT, and keeps it', async () => {
    const id = await createModel('trained');
    await startRun('trained', 'synthetic');
    expect(await errorsOf(DELETE_MODEL, { id })).toEqual([
      [
        "Model 'trained' cannot be deleted: 1 run trained it, and their metrics and checkpoints refer to it; delete " +
          'them with deleteRun first.',
        { code: 'CONFLICT' },
      ],
    ]);
    expect(await test.api.services.models.find({ id })).not.toBeNull();
  });

  it('refuses a model that still has versions with CONFLICT', async () => {
    // Only possible by writing rows directly: versions come from the checkpoints of the model's own runs.
    const { prisma } = test.api.services;
    const id = await createModel('versioned-elsewhere');
    const runId = await startRun('trained', 'synthetic');
    const checkpoint = await prisma.checkpoint.create({
      data: { runId, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: 'nowhere' },
    });
    await prisma.modelVersion.create({
      data: { modelId: id, version: 1, checkpointId: checkpoint.id, location: 'registry/versioned-elsewhere/v1' },
    });
    expect(await errorsOf(DELETE_MODEL, { id })).toEqual([
      [
        "Model 'versioned-elsewhere' cannot be deleted: it has 1 version; delete them with deleteModelVersion first.",
        { code: 'CONFLICT' },
      ],
    ]);
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    expect(await errorsOf(DELETE_MODEL, { id: 'missing' })).toEqual([
      ["No model with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
  });
});

describe('deleteModelVersion', () => {
  let versionId: string;
  let registryDirectory: string;
  let predictionId: string;
  beforeAll(async () => {
    const { prisma, artifacts } = test.api.services;
    await createModel('registered');
    const runId = await startRun('registered', 'synthetic');
    await prisma.run.update({ where: { id: runId }, data: { status: 'COMPLETED' } });
    const location = `runs/${runId}/checkpoints/epoch-0001`;
    await fs.mkdir(artifacts.resolve(location), { recursive: true });
    await fs.writeFile(path.join(artifacts.resolve(location), 'weights.bin'), 'weights');
    const checkpoint = await prisma.checkpoint.create({
      data: { runId, epoch: 1, sizeBytes: 7n, sha256: '0'.repeat(64), location },
    });
    const promoted = await test.execute<{ promoteCheckpoint: { id: string; aliases: string[] } }>(
      `mutation($id: ID!) { promoteCheckpoint(input: { checkpointId: $id, aliases: ["production", "staging"] }) {
        id aliases } }`,
      { id: checkpoint.id },
    );
    expect(promoted.data!.promoteCheckpoint.aliases).toEqual(['production', 'staging']);
    versionId = promoted.data!.promoteCheckpoint.id;
    registryDirectory = artifacts.resolve('registry/registered/v1');
    const prediction = await prisma.prediction.create({
      data: {
        checkpointId: checkpoint.id,
        modelVersionId: versionId,
        topK: [],
        latencyMs: 1,
        inputSha256: '0'.repeat(64),
      },
    });
    predictionId = prediction.id;
  });

  it('deletes the version, its aliases and its registry files, and keeps predictions made with it', async () => {
    expect(await fs.readdir(registryDirectory)).toEqual(['weights.bin']);
    expect(await test.execute(DELETE_VERSION, { id: versionId })).toEqual({
      data: { deleteModelVersion: versionId },
      errors: undefined,
    });
    const model = await test.execute(`{ model(name: "registered") { versions { id } aliases { alias } } }`);
    expect(model.data).toEqual({ model: { versions: [], aliases: [] } });
    await expect(fs.stat(registryDirectory)).rejects.toMatchObject({ code: 'ENOENT' });
    const prediction = await test.api.services.prisma.prediction.findUniqueOrThrow({ where: { id: predictionId } });
    expect(prediction.modelVersionId).toBeNull();
    const predictions = await test.execute(
      `query($id: ID!) { predictions(checkpointId: $id) { id modelVersion { id } } }`,
      {
        id: prediction.checkpointId,
      },
    );
    expect(predictions.data).toEqual({ predictions: [{ id: predictionId, modelVersion: null }] });
  });

  it('answers NOT_FOUND for an unknown id, and for one already deleted', async () => {
    expect(await errorsOf(DELETE_VERSION, { id: versionId })).toEqual([
      [`No model version with id '${versionId}'.`, { code: 'NOT_FOUND', id: versionId }],
    ]);
  });
});

describe('deleteDataset', () => {
  it('deletes a registered dataset without runs and returns its id', async () => {
    const id = await registerDataset('unused-data');
    expect(await test.execute(DELETE_DATASET, { id })).toEqual({ data: { deleteDataset: id }, errors: undefined });
    expect((await test.execute(`{ dataset(name: "unused-data") { id } }`)).data).toEqual({ dataset: null });
  });

  it('refuses a dataset that runs trained on with CONFLICT', async () => {
    const id = await registerDataset('used-data');
    await createModel('on-used-data');
    await startRun('on-used-data', 'used-data');
    expect(await errorsOf(DELETE_DATASET, { id })).toEqual([
      [
        "Dataset 'used-data' cannot be deleted: 1 run trained on it, and their records refer to it.",
        { code: 'CONFLICT' },
      ],
    ]);
  });

  it('refuses a built-in dataset with CONFLICT', async () => {
    const { id } = await test.api.services.prisma.dataset.findUniqueOrThrow({ where: { name: 'synthetic' } });
    expect(await errorsOf(DELETE_DATASET, { id })).toEqual([
      ["Dataset 'synthetic' is built in: the API registers it at every start, so it stays.", { code: 'CONFLICT' }],
    ]);
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    expect(await errorsOf(DELETE_DATASET, { id: 'missing' })).toEqual([
      ["No dataset with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
  });
});
