// Resolver tests through Apollo's executeOperation, on a fresh embedded database. Workers are replaced by one that
// never reports, so runs stay QUEUED or RUNNING and these tests need no training; the end-to-end tests in test/
// train for real.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from './graphql/schema.js';
import { QUERY_LIMITS } from './graphql/limits.js';
import { noisePng, startTestApi, stripesPng, type TestApi } from '../test-support/test-api.js';
import { isEnumType, isInputObjectType, isNamedType, isObjectType, isUnionType, type GraphQLArgument } from 'graphql';

let test: TestApi;
beforeAll(async () => {
  test = await startTestApi({ MAX_IMAGE_BYTES: '2048' });
});
afterAll(async () => {
  await test.close();
});

const CREATE_MODEL = `mutation($input: CreateModelInput!) {
  createModel(input: $input) { id name parameterCount macs architecture { arch stem width classes inputSize }
    stages { name outputSize channels blocks parameters } }
}`;
const START_RUN = `mutation($input: StartRunInput!) {
  startRun(input: $input) { id name status epochs hyperparameters { learningRate batchSize schedule milestones } }
}`;

function errorOf(result: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) {
  expect(result.errors, 'expected an error').toBeDefined();
  return result.errors![0]!;
}

describe('models', () => {
  it('creates a model with the exact parameter count and MACs of its architecture', async () => {
    const result = await test.execute<{ createModel: Record<string, unknown> }>(CREATE_MODEL, {
      input: { name: 'cifar-resnet18', arch: 'resnet18' },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.createModel).toMatchObject({
      name: 'cifar-resnet18',
      parameterCount: 11_173_962,
      macs: 555_422_720,
      architecture: { arch: 'resnet18', stem: 'cifar', width: 1, classes: 10, inputSize: 32 },
    });
    const stages = result.data!.createModel.stages as { name: string; outputSize: number; channels: number }[];
    expect(stages.map((stage) => [stage.name, stage.outputSize, stage.channels])).toEqual([
      ['conv1', 32, 64],
      ['conv2_x', 32, 64],
      ['conv3_x', 16, 128],
      ['conv4_x', 8, 256],
      ['conv5_x', 4, 512],
      ['fc', 1, 10],
    ]);
  });

  it('refuses an unknown architecture with BAD_USER_INPUT naming the field and the allowed values', async () => {
    const error = errorOf(await test.execute(CREATE_MODEL, { input: { name: 'x', arch: 'resnet19' } }));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'arch', value: 'resnet19' });
    expect(error.message).toContain('resnet19');
    expect(error.message).toContain('resnet152');
  });

  it('refuses a duplicate name with CONFLICT and a bad name with BAD_USER_INPUT', async () => {
    const duplicate = errorOf(
      await test.execute(CREATE_MODEL, { input: { name: 'cifar-resnet18', arch: 'resnet34' } }),
    );
    expect(duplicate.extensions).toMatchObject({ code: 'CONFLICT' });
    const badName = errorOf(await test.execute(CREATE_MODEL, { input: { name: '../etc', arch: 'resnet18' } }));
    expect(badName.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
  });

  it('finds a model by id or name, and asks for exactly one', async () => {
    const byName = await test.execute<{ model: { id: string } }>(`{ model(name: "cifar-resnet18") { id } }`);
    const byId = await test.execute<{ model: { name: string } }>(`query($id: ID) { model(id: $id) { name } }`, {
      id: byName.data!.model.id,
    });
    expect(byId.data!.model.name).toBe('cifar-resnet18');
    expect((await test.execute(`{ model(name: "nope") { id } }`)).data).toEqual({ model: null });
    expect(errorOf(await test.execute(`{ model { id } }`)).extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('datasets', () => {
  it('registers the built-in datasets at start-up and says why cifar10 is not available', async () => {
    const result = await test.execute<{ datasets: { name: string; available: boolean; unavailableReason: string }[] }>(
      `{ datasets { name available unavailableReason } }`,
    );
    expect(result.data!.datasets.map((dataset) => [dataset.name, dataset.available])).toEqual([
      ['cifar10', false],
      ['synthetic', true],
    ]);
    expect(result.data!.datasets[0]!.unavailableReason).toContain(`${test.dataDir}/cifar10`);
  });

  it('registers a synthetic dataset of a given shape and refuses a location that is not a dataset', async () => {
    const created = await test.execute<{ registerDataset: Record<string, unknown> }>(
      `mutation { registerDataset(input: { name: "small-synthetic", format: SYNTHETIC,
        synthetic: { classes: 4, trainCount: 64, testCount: 32, imageSize: 16 } }) {
        classNames trainSize testSize imageSize available } }`,
    );
    expect(created.data!.registerDataset).toEqual({
      classNames: ['horizontal-stripes', 'vertical-stripes', 'diagonal-stripes', 'checkerboard'],
      trainSize: 64,
      testSize: 32,
      imageSize: 16,
      available: true,
    });
    // Under DATA_DIR/datasets, the default DATASET_ROOTS, which the API created at start-up.
    expect((await fs.stat(path.join(test.dataDir, 'datasets'))).isDirectory()).toBe(true);
    const location = path.join(test.dataDir, 'datasets', 'nonexistent');
    const missing = errorOf(
      await test.execute(
        `mutation($location: String) {
          registerDataset(input: { name: "photos", format: IMAGE_FOLDER, location: $location }) { id } }`,
        { location },
      ),
    );
    expect(missing.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'location', value: location });
    const badShape = errorOf(
      await test.execute(
        `mutation { registerDataset(input: { name: "s", format: SYNTHETIC, synthetic: { classes: 11 } }) { id } }`,
      ),
    );
    expect(badShape.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'synthetic.classes', value: 11 });
  });
});

describe('image-folder datasets', () => {
  const REGISTER = `mutation($location: String) {
    registerDataset(input: { name: "photos", format: IMAGE_FOLDER, location: $location }) {
      classNames trainSize testSize available unavailableReason } }`;

  it('reads a train/ and test/ layout as training reads it, and says when the folder is gone', async () => {
    const location = path.join(test.dataDir, 'datasets', 'photos');
    const counts = { train: { cat: 3, dog: 2 }, test: { cat: 1, dog: 1 } };
    for (const [split, classes] of Object.entries(counts)) {
      for (const [className, images] of Object.entries(classes)) {
        await fs.mkdir(path.join(location, split, className), { recursive: true });
        for (let index = 0; index < images; index++) {
          await fs.writeFile(path.join(location, split, className, `${index}.png`), stripesPng(8));
        }
      }
    }
    const registered = await test.execute<{ registerDataset: Record<string, unknown> }>(REGISTER, { location });
    expect(registered.data!.registerDataset).toEqual({
      classNames: ['cat', 'dog'],
      trainSize: 5,
      testSize: 2,
      available: true,
      unavailableReason: null,
    });

    await fs.rm(location, { recursive: true });
    const gone = await test.execute<{ dataset: { available: boolean; unavailableReason: string } }>(
      `{ dataset(name: "photos") { available unavailableReason } }`,
    );
    expect(gone.data!.dataset).toEqual({
      available: false,
      unavailableReason: `Dataset location ${location} does not exist or is not a directory.`,
    });
  });
});

describe('runs', () => {
  beforeAll(async () => {
    await test.execute(CREATE_MODEL, {
      input: { name: 'tiny', arch: 'resnet18', width: 0.0625, classes: 4, inputSize: 16 },
    });
    await test.execute(
      `mutation { registerDataset(input: { name: "tiny", format: SYNTHETIC, synthetic: { classes: 4, imageSize: 16 } }) { id } }`,
    );
  });

  it('queues a run with the seed defaults filled in', async () => {
    const result = await test.execute<{ startRun: Record<string, unknown> }>(START_RUN, {
      input: { modelName: 'tiny', datasetName: 'tiny', epochs: 3, learningRate: 0.05 },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.startRun).toMatchObject({
      name: 'tiny #1',
      status: 'QUEUED',
      epochs: 3,
      hyperparameters: { learningRate: 0.05, batchSize: 128, schedule: 'step', milestones: [50, 100] },
    });
  });

  it.each([
    [{ learningRate: 0 }, 'learningRate', 0],
    [{ learningRate: -0.1 }, 'learningRate', -0.1],
    [{ batchSize: 0 }, 'batchSize', 0],
    [{ batchSize: 100000 }, 'batchSize', 100000],
    [{ schedule: 'linear' }, 'schedule', 'linear'],
    [{ momentum: 1 }, 'momentum', 1],
  ])('refuses %o with BAD_USER_INPUT naming the field and value', async (hyperparameters, field, value) => {
    const error = errorOf(
      await test.execute(START_RUN, { input: { modelName: 'tiny', datasetName: 'tiny', ...hyperparameters } }),
    );
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field, value });
    expect(error.message).toContain(String(value));
  });

  it('refuses unknown models and datasets, unavailable datasets and mismatched classes', async () => {
    const unknownDataset = errorOf(
      await test.execute(START_RUN, { input: { modelName: 'tiny', datasetName: 'imagenet' } }),
    );
    expect(unknownDataset.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'datasetName',
      value: 'imagenet',
    });
    expect(unknownDataset.message).toMatch(/^No dataset named 'imagenet'\. Registered: cifar10, .*synthetic, tiny\.$/);
    const unknownModel = errorOf(await test.execute(START_RUN, { input: { modelName: 'nope', datasetName: 'tiny' } }));
    expect(unknownModel.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'modelName' });
    const unavailable = errorOf(
      await test.execute(START_RUN, { input: { modelName: 'cifar-resnet18', datasetName: 'cifar10' } }),
    );
    expect(unavailable.message).toContain('not available');
    const mismatch = errorOf(await test.execute(START_RUN, { input: { modelName: 'tiny', datasetName: 'synthetic' } }));
    expect(mismatch.message).toBe(
      "Model 'tiny' has 4 classes but dataset 'synthetic' has 10; create a model with classes: 10.",
    );
  });

  it('pages through runs with cursors, filtered and sorted', async () => {
    for (let index = 0; index < 4; index++) {
      await test.execute(START_RUN, { input: { modelName: 'tiny', datasetName: 'tiny', name: `page-${index}` } });
    }
    const query = `query($after: String) {
      runs(first: 2, after: $after, orderBy: { field: NAME, direction: ASC }, filter: { status: [QUEUED, RUNNING] }) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }`;
    type Page = {
      runs: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: { node: { name: string } }[];
      };
    };
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = (await test.execute<Page>(query, { after })).data!;
      expect(page.runs.totalCount).toBe(5);
      names.push(...page.runs.edges.map((edge) => edge.node.name));
      if (!page.runs.pageInfo.hasNextPage) break;
      after = page.runs.pageInfo.endCursor;
    }
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'tiny #1']);
    const bad = errorOf(await test.execute(`{ runs(after: "garbage") { totalCount } }`));
    expect(bad.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('cancels a queued run, and refuses to cancel it again with CONFLICT', async () => {
    const started = await test.execute<{ startRun: { id: string } }>(START_RUN, {
      input: { modelName: 'tiny', datasetName: 'tiny' },
    });
    const id = started.data!.startRun.id;
    const cancelled = await test.execute<{ cancelRun: { status: string } }>(
      `mutation($id: ID!) { cancelRun(id: $id) { status finishedAt } }`,
      { id },
    );
    expect(cancelled.data!.cancelRun.status).toBe('CANCELLED');
    const again = errorOf(await test.execute(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id }));
    expect(again.extensions).toMatchObject({ code: 'CONFLICT' });
    expect(again.message).toBe(`Run ${id} is already CANCELLED; only QUEUED or RUNNING runs can be cancelled.`);
  });

  it('answers NOT_FOUND for unknown ids', async () => {
    for (const operation of [
      `mutation { cancelRun(id: "missing") { id } }`,
      `mutation { resumeRun(input: { runId: "missing" }) { id } }`,
      `mutation { promoteCheckpoint(input: { checkpointId: "missing" }) { id } }`,
      `mutation { evaluateCheckpoint(input: { checkpointId: "missing" }) { accuracy } }`,
      `{ compareRuns(ids: ["missing"]) { runs { id } } }`,
      `{ predictions(checkpointId: "missing") { id } }`,
    ]) {
      const error = errorOf(await test.execute(operation));
      expect(error.extensions, operation).toMatchObject({ code: 'NOT_FOUND', id: 'missing' });
    }
    expect((await test.execute(`{ run(id: "missing") { id } }`)).data).toEqual({ run: null });
  });

  it('compares runs and marks the hyperparameters that differ', async () => {
    const a = await test.execute<{ startRun: { id: string } }>(START_RUN, {
      input: { modelName: 'tiny', datasetName: 'tiny', learningRate: 0.1, seed: 1 },
    });
    const b = await test.execute<{ startRun: { id: string } }>(START_RUN, {
      input: { modelName: 'tiny', datasetName: 'tiny', learningRate: 0.02, seed: 1 },
    });
    const result = await test.execute<{
      compareRuns: { runs: { id: string }[]; hyperparameters: { name: string; values: string[]; differs: boolean }[] };
    }>(`query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id } hyperparameters { name values differs } } }`, {
      ids: [b.data!.startRun.id, a.data!.startRun.id],
    });
    const { runs, hyperparameters } = result.data!.compareRuns;
    expect(runs.map((run) => run.id)).toEqual([b.data!.startRun.id, a.data!.startRun.id]);
    expect(hyperparameters.filter((entry) => entry.differs)).toEqual([
      { name: 'learningRate', values: ['0.02', '0.1'], differs: true },
    ]);
    expect(hyperparameters.find((entry) => entry.name === 'seed')).toEqual({
      name: 'seed',
      values: ['1', '1'],
      differs: false,
    });
  });
});

describe('predictions and checkpoints', () => {
  let checkpointId: string;
  beforeAll(async () => {
    // A checkpoint row whose files are gone stands in for a damaged registry: the API must not leak details.
    const run = await test.api.services.prisma.run.findFirstOrThrow();
    const checkpoint = await test.api.services.prisma.checkpoint.create({
      data: { runId: run.id, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: '/nonexistent/checkpoint' },
    });
    checkpointId = checkpoint.id;
  });
  const PREDICT = `mutation($input: PredictInput!) { predict(input: $input) { id topK { label probability } } }`;

  it('refuses an image that is not PNG or JPEG, and one over the size limit', async () => {
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00').toString('base64');
    const notImage = errorOf(await test.execute(PREDICT, { input: { checkpointId, imageBase64: gif } }));
    expect(notImage.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'imageBase64' });
    expect(notImage.message).toBe('The image is neither PNG nor JPEG (checked by its first bytes).');
    const large = noisePng(64);
    expect(large.length).toBeGreaterThan(2048);
    const tooLarge = errorOf(
      await test.execute(PREDICT, { input: { checkpointId, imageBase64: large.toString('base64') } }),
    );
    expect(tooLarge.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'imageBase64' });
    expect(tooLarge.message).toContain('the limit is 2048 (MAX_IMAGE_BYTES)');
    const notBase64 = errorOf(await test.execute(PREDICT, { input: { checkpointId, imageBase64: 'not base64!' } }));
    expect(notBase64.message).toBe('The image is not valid base64.');
  });

  it('refuses a model without the asked alias, naming the alias', async () => {
    const error = errorOf(
      await test.execute(PREDICT, { input: { modelName: 'tiny', imageBase64: stripesPng(16).toString('base64') } }),
    );
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'alias', value: 'production' });
  });

  it('reports an unexpected failure as an internal error without details, and logs its cause', async () => {
    const error = errorOf(
      await test.execute(PREDICT, { input: { checkpointId, imageBase64: stripesPng(16).toString('base64') } }),
    );
    expect(error).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
      path: ['predict'],
    });
    expect(test.logs.join('\n')).toContain('/nonexistent/checkpoint');
  });
});

describe('limits', () => {
  it(`refuses queries deeper than ${QUERY_LIMITS.maxDepth} levels before running them`, async () => {
    const nested = 'model { runs { '.repeat(7) + 'id' + ' } }'.repeat(7);
    const error = errorOf(await test.execute(`{ runs { edges { node { ${nested} } } } }`));
    expect(error.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(error.message).toBe(
      'Query depth limit of 15 exceeded, found 18. Simplify the operation or split it in several requests.',
    );
  });
});

describe('the schema', () => {
  it('describes every type, field, argument and enum value', async () => {
    const schema = await buildSchema();
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (
        !isNamedType(type) ||
        type.name.startsWith('__') ||
        ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)
      )
        continue;
      if (!type.description) undocumented.push(type.name);
      if (isObjectType(type) || isInputObjectType(type)) {
        const fields: readonly { name: string; description?: string | null; args?: readonly GraphQLArgument[] }[] =
          Object.values(type.getFields());
        for (const field of fields) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
          for (const arg of field.args ?? []) {
            if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) undocumented.push(`${type.name}.${value.name}`);
      }
      if (isUnionType(type) && !type.description) undocumented.push(type.name);
    }
    expect(undocumented).toEqual([]);
  });
});

describe('with API_TOKEN set', () => {
  let secured: TestApi;
  beforeAll(async () => {
    secured = await startTestApi({ API_TOKEN: 'correct-horse-battery' });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('refuses mutations without the bearer token, and keeps queries readable', async () => {
    const mutation = `mutation { createModel(input: { name: "m", arch: "resnet18" }) { name } }`;
    for (const authorization of [undefined, 'Bearer wrong-token', 'correct-horse-battery']) {
      const error = errorOf(await secured.execute(mutation, {}, authorization));
      expect(error.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    const allowed = await secured.execute(mutation, {}, 'Bearer correct-horse-battery');
    expect(allowed.data).toEqual({ createModel: { name: 'm' } });
    const query = await secured.execute<{ system: { mutationsRequireToken: boolean } }>(
      `{ system { mutationsRequireToken } models { name } }`,
    );
    expect(query.data).toEqual({ system: { mutationsRequireToken: true }, models: [{ name: 'm' }] });
  });
});
