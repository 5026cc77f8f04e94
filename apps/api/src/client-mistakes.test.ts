// What a careless or hostile client sends, through the whole API: counts past GraphQL's 32-bit Int, NUL characters,
// absurd epochs and evaluations that cannot work each get a coded error or data, never an internal error, and a
// refused mutation leaves nothing behind.
import { randomBytes } from 'node:crypto';
import { parse, subscribe, type ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from './graphql/schema.js';
import type { WorkerRequest } from './training/worker-protocol.js';
import { startTestApi, type TestApi } from '../test-support/test-api.js';

let test: TestApi;
/** Evaluation requests that reached a worker: none should, for evaluations refused up front. */
const evaluations: WorkerRequest[] = [];

beforeAll(async () => {
  test = await startTestApi(
    {},
    {
      startWorker: (onMessage) => ({
        pid: 0,
        send: (request) => {
          evaluations.push(request);
          onMessage({ type: 'failed', message: 'the test worker evaluates nothing' });
        },
        exited: new Promise(() => {}),
        kill: () => {},
      }),
    },
  );
});
afterAll(async () => {
  await test?.close();
});

const CREATE_MODEL = `mutation($input: CreateModelInput!) { createModel(input: $input) { id name } }`;

/** A finished run of a new model on a dataset, with a checkpoint of epoch 1 whose row claims files. */
async function finishedRun(modelName: string, datasetName: string, modelInput: Record<string, unknown> = {}) {
  const { prisma } = test.api.services;
  const model = await test.api.services.models.create({ name: modelName, arch: 'resnet18', ...modelInput });
  const dataset = await prisma.dataset.findUniqueOrThrow({ where: { name: datasetName } });
  const run = await test.execute<{ startRun: { id: string } }>(
    `mutation($input: StartRunInput!) { startRun(input: $input) { id } }`,
    { input: { modelName, datasetName: 'synthetic', epochs: 2 } },
  );
  const runId = run.data?.startRun.id;
  if (!runId) throw new Error(`Expected startRun to succeed, got ${JSON.stringify(run.errors)}.`);
  await prisma.run.update({
    where: { id: runId },
    data: { status: 'COMPLETED', datasetId: dataset.id, modelId: model.id },
  });
  const checkpoint = await prisma.checkpoint.create({
    data: { runId, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: `runs/${runId}/checkpoints/epoch-0001` },
  });
  return { model, runId, checkpointId: checkpoint.id };
}

describe('counts past 2^31 - 1 (finding 2)', () => {
  it('creates resnet152 at width 8 with its exact parameter count, and the models list still reads', async () => {
    const created = await test.execute(
      `mutation($input: CreateModelInput!) {
        createModel(input: $input) { name parameterCount macs stages { name parameters macs } } }`,
      { input: { name: 'huge', arch: 'resnet152', width: 8 } },
    );
    expect(created).toEqual({
      data: {
        createModel: {
          name: 'huge',
          parameterCount: 3_712_299_530,
          macs: 238_116_569_088,
          stages: [
            { name: 'conv1', parameters: 14_848, macs: 14_155_776 },
            { name: 'conv2_x', parameters: 13_654_016, macs: 13_958_643_712 },
            { name: 'conv3_x', parameters: 149_004_288, macs: 39_728_447_488 },
            { name: 'conv4_x', parameters: 2_592_980_992, macs: 167_503_724_544 },
            { name: 'conv5_x', parameters: 956_481_536, macs: 16_911_433_728 },
            { name: 'fc', parameters: 163_850, macs: 163_840 },
          ],
        },
      },
      errors: undefined,
    });
    const listed = await test.execute<{ models: { name: string; parameterCount: number }[] }>(
      `{ models { name parameterCount } }`,
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.models).toEqual([{ name: 'huge', parameterCount: 3_712_299_530 }]);
  });

  it('reads back a tracked run whose seed is past 2^31 - 1', async () => {
    const seed = 4_294_967_295;
    const config = JSON.stringify({ data: 'synthetic', arch: 'resnet18', stem: 'cifar', width: 0.0625, seed });
    const tracked = await test.execute<{ trackRun: { id: string } }>(
      `mutation($input: TrackRunInput!) { trackRun(input: $input) { id } }`,
      { input: trackRunInput({ modelName: 'tracked-seed', config }) },
    );
    expect(tracked.errors).toBeUndefined();
    const read = await test.execute(`query($id: ID!) { run(id: $id) { hyperparameters { seed } } }`, {
      id: tracked.data!.trackRun.id,
    });
    expect(read).toEqual({ data: { run: { hyperparameters: { seed } } }, errors: undefined });
  });
});

/** A trackRun input of a tiny synthetic run, with `overrides`. */
function trackRunInput(overrides: Record<string, unknown>) {
  return {
    modelName: 'tracked',
    arch: 'resnet18',
    stem: 'cifar',
    width: 0.0625,
    classes: 10,
    inputSize: 32,
    datasetName: 'synthetic',
    datasetFormat: 'SYNTHETIC',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    config: JSON.stringify({ data: 'synthetic', arch: 'resnet18', stem: 'cifar', width: 0.0625 }),
    outputDir: '/tmp/tracked-run',
    ...overrides,
  };
}

describe('a refused mutation leaves nothing behind', () => {
  it('trackRun with a dataset it refuses creates no model', async () => {
    const before = await test.api.services.prisma.model.count();
    const result = await test.execute(`mutation($input: TrackRunInput!) { trackRun(input: $input) { id } }`, {
      input: trackRunInput({ modelName: 'never-created', datasetName: 'relative/path', datasetFormat: 'IMAGE_FOLDER' }),
    });
    expect(result.errors).toEqual([
      {
        message:
          "Expected datasetName to be an absolute directory on the CLI's machine for format IMAGE_FOLDER, got " +
          "'relative/path'.",
        locations: [{ line: 1, column: 36 }],
        path: ['trackRun'],
        extensions: { code: 'BAD_USER_INPUT', field: 'datasetName', value: 'relative/path' },
      },
    ]);
    expect(await test.api.services.prisma.model.count()).toBe(before);
    expect(await test.api.services.models.find({ name: 'never-created' })).toBeNull();
  });
});

describe('run names past what PostgreSQL can index', () => {
  it('refuses one with BAD_USER_INPUT, and queues nothing', async () => {
    await test.api.services.models.create({ name: 'named', arch: 'resnet18', width: 0.0625 });
    const before = await test.api.services.prisma.run.count();
    // Random text does not compress: stored, it would pass the 2,704-byte limit of an entry of the index on names.
    const name = randomBytes(3000).toString('base64');
    const result = await test.execute(`mutation($input: StartRunInput!) { startRun(input: $input) { id } }`, {
      input: { modelName: 'named', datasetName: 'synthetic', name },
    });
    expect(result.errors).toEqual([
      {
        message: 'Expected name to be at most 200 characters, got 4000.',
        locations: [{ line: 1, column: 36 }],
        path: ['startRun'],
        extensions: { code: 'BAD_USER_INPUT', field: 'name', value: `${name.slice(0, 97)}...` },
      },
    ]);
    expect(await test.api.services.prisma.run.count()).toBe(before);
  });
});

describe('NUL characters (finding 6)', () => {
  const nulError = (field: string, value: string, index: number, path: string[], column: number) => ({
    message:
      `Expected ${field} to hold no NUL character (U+0000), which the database cannot store; found one at ` +
      `index ${index}.`,
    locations: [{ line: 1, column }],
    path,
    extensions: { code: 'BAD_USER_INPUT', field, value },
  });

  it('refuses one in a text field of an input, naming the field', async () => {
    const before = await test.api.services.prisma.model.count();
    expect((await test.execute(CREATE_MODEL, { input: { name: 'a\0b', arch: 'resnet18' } })).errors).toEqual([
      nulError('input.name', 'a\0b', 1, ['createModel'], 39),
    ]);
    expect(
      (await test.execute(CREATE_MODEL, { input: { name: 'nul', description: 'x\0', arch: 'resnet18' } })).errors,
    ).toEqual([nulError('input.description', 'x\0', 1, ['createModel'], 39)]);
    expect(await test.api.services.prisma.model.count()).toBe(before);
  });

  it('refuses one in an id, of a query and of a mutation, and in a list of ids', async () => {
    expect((await test.execute(`query($id: ID!) { run(id: $id) { id } }`, { id: '\0' })).errors).toEqual([
      nulError('id', '\0', 0, ['run'], 19),
    ]);
    expect((await test.execute(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: 'run\0' })).errors).toEqual([
      nulError('id', 'run\0', 3, ['cancelRun'], 22),
    ]);
    const compared = await test.execute(`query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id } } }`, {
      ids: ['a', 'b\0'],
    });
    expect(compared.errors).toEqual([nulError('ids[1]', 'b\0', 1, ['compareRuns'], 23)]);
  });

  it('refuses one in the arguments of a subscription', async () => {
    const result = (await subscribe({
      schema: await buildSchema(),
      document: parse(`subscription { runProgress(runId: "x\\u0000") { __typename } }`),
      contextValue: { services: test.api.services, authorized: true },
    })) as ExecutionResult;
    expect(result.errors?.map((error) => [error.message, error.extensions])).toEqual([
      [
        'Expected runId to hold no NUL character (U+0000), which the database cannot store; found one at index 1.',
        { code: 'BAD_USER_INPUT', field: 'runId', value: 'x\0' },
      ],
    ]);
  });

  it('refuses one escaped in the JSON of a tracked run, naming the field within it', async () => {
    const config = JSON.stringify({ data: '/data/a\0', arch: 'resnet18', stem: 'cifar', width: 0.0625 });
    expect(config).toContain('\\u0000');
    const result = await test.execute(`mutation($input: TrackRunInput!) { trackRun(input: $input) { id } }`, {
      input: trackRunInput({ modelName: 'nul-config', config }),
    });
    expect(result.errors).toEqual([nulError('config.data', '/data/a\0', 7, ['trackRun'], 36)]);
  });
});

describe('resumeRun with absurd epochs (finding 6)', () => {
  let runId: string;
  beforeAll(async () => {
    ({ runId } = await finishedRun('resumable', 'synthetic'));
  });

  it.each([1_000_000_000, 0, -5])('refuses epochs %d with the error startRun gives', async (epochs) => {
    const started = await test.execute(`mutation($input: StartRunInput!) { startRun(input: $input) { id } }`, {
      input: { modelName: 'resumable', datasetName: 'synthetic', epochs },
    });
    const resumed = await test.execute(`mutation($input: ResumeRunInput!) { resumeRun(input: $input) { id } }`, {
      input: { runId, epochs },
    });
    const expected = {
      message: `Expected epochs to be an integer from 1 to 10000, got ${epochs}.`,
      extensions: { code: 'BAD_USER_INPUT', field: 'epochs', value: epochs },
    };
    expect(started.errors).toMatchObject([expected]);
    expect(resumed.errors).toMatchObject([expected]);
  });

  it('still refuses epochs that do not pass the checkpoint', async () => {
    const resumed = await test.execute(`mutation($input: ResumeRunInput!) { resumeRun(input: $input) { id } }`, {
      input: { runId, epochs: 1 },
    });
    expect(resumed.errors).toMatchObject([
      {
        message: "Expected epochs to be an integer above the checkpoint's epoch 1, got 1.",
        extensions: { code: 'BAD_USER_INPUT', field: 'epochs', value: 1 },
      },
    ]);
  });
});

describe('evaluateCheckpoint (finding 6)', () => {
  const EVALUATE = `mutation($input: EvaluateCheckpointInput!) { evaluateCheckpoint(input: $input) { accuracy } }`;
  let onSynthetic: string;
  let onCifar: string;
  beforeAll(async () => {
    ({ checkpointId: onSynthetic } = await finishedRun('evaluated', 'synthetic'));
    ({ checkpointId: onCifar } = await finishedRun('evaluated-cifar', 'cifar10'));
    const register = `mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { id } }`;
    await test.execute(register, {
      input: { name: 'small-images', format: 'SYNTHETIC', synthetic: { imageSize: 16 } },
    });
    await test.execute(register, { input: { name: 'no-test', format: 'SYNTHETIC', synthetic: { testCount: 0 } } });
  });

  const errorsOf = async (input: Record<string, unknown>) =>
    (await test.execute(EVALUATE, { input })).errors?.map((error) => [error.message, error.extensions]);

  it('answers NOT_FOUND for an unknown checkpoint and CONFLICT for a pruned one', async () => {
    expect(await errorsOf({ checkpointId: 'missing' })).toEqual([
      ["No checkpoint with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
    const pruned = await test.api.services.prisma.checkpoint.update({
      where: { id: onSynthetic },
      data: { prunedAt: new Date() },
    });
    try {
      expect(await errorsOf({ checkpointId: onSynthetic })).toEqual([
        [
          `Checkpoint ${onSynthetic} (epoch 1) was pruned: only each run's latest and best checkpoints, and promoted ` +
            'versions, keep their files.',
          { code: 'CONFLICT' },
        ],
      ]);
    } finally {
      await test.api.services.prisma.checkpoint.update({ where: { id: pruned.id }, data: { prunedAt: null } });
    }
  });

  it("refuses the run's dataset when it is not available, without starting a worker", async () => {
    const errors = await errorsOf({ checkpointId: onCifar });
    expect(errors).toHaveLength(1);
    // The reason after the colon is the one the dataset's `unavailableReason` gives.
    expect(errors![0]![0]).toMatch(/^Dataset 'cifar10' is not available: .*npx resnet-lab dataset download cifar10/);
    expect(errors![0]![1]).toEqual({ code: 'BAD_USER_INPUT', field: 'datasetName', value: 'cifar10' });
    expect(evaluations).toEqual([]);
  });

  it('refuses an unknown dataset, one of another image size and one without test images', async () => {
    expect(await errorsOf({ checkpointId: onSynthetic, datasetName: 'nope' })).toEqual([
      ["No dataset named 'nope'.", { code: 'BAD_USER_INPUT', field: 'datasetName', value: 'nope' }],
    ]);
    expect(await errorsOf({ checkpointId: onSynthetic, datasetName: 'small-images' })).toEqual([
      [
        "Model 'evaluated' takes 32x32 images but dataset 'small-images' has 16x16; create a model with inputSize: 16.",
        { code: 'BAD_USER_INPUT', field: 'datasetName', value: 'small-images' },
      ],
    ]);
    expect(await errorsOf({ checkpointId: onSynthetic, datasetName: 'no-test' })).toEqual([
      [
        "Dataset 'no-test' has no test images to evaluate on; evaluate split TRAIN or ALL instead.",
        { code: 'BAD_USER_INPUT', field: 'datasetName', value: 'no-test' },
      ],
    ]);
    expect(evaluations).toEqual([]);
  });
});
