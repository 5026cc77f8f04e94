// setModelAlias, removeModelAlias, updateModelVersion and promoting a checkpoint twice, through the whole API: where
// aliases point afterwards, what a second promotion returns (and that it copies nothing), and the errors with their
// codes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../test-support/test-api.js';

let test: TestApi;
let modelId: string;
/** Checkpoint ids by epoch, of one finished run of model 'registry'. */
const checkpoints = new Map<number, string>();
/** Version ids by number. */
const versions = new Map<number, string>();

const PROMOTE = `mutation($input: PromoteCheckpointInput!) {
  promoteCheckpoint(input: $input) { id version aliases description } }`;
const SET_ALIAS = `mutation($input: SetModelAliasInput!) {
  setModelAlias(input: $input) { alias version { id version } } }`;
const REMOVE_ALIAS = `mutation($modelId: ID!, $alias: String!) {
  removeModelAlias(modelId: $modelId, alias: $alias) { name aliases { alias version { version } } } }`;
const UPDATE_VERSION = `mutation($input: UpdateModelVersionInput!) {
  updateModelVersion(input: $input) { id version description } }`;
const ALIASES = `{ model(name: "registry") { aliases { alias version { version } } } }`;

beforeAll(async () => {
  test = await startTestApi();
  const { prisma, artifacts } = test.api.services;
  modelId = (await test.api.services.models.create({ name: 'registry', arch: 'resnet18', width: 0.0625 })).id;
  await test.api.services.models.create({ name: 'unregistered', arch: 'resnet18', width: 0.0625 });
  const started = await test.execute<{ startRun: { id: string } }>(
    `mutation { startRun(input: { modelName: "registry", datasetName: "synthetic", epochs: 4 }) { id } }`,
  );
  const runId = started.data!.startRun.id;
  await prisma.run.update({ where: { id: runId }, data: { status: 'COMPLETED' } });
  for (const epoch of [1, 2, 3, 4]) {
    const location = `runs/${runId}/checkpoints/epoch-000${epoch}`;
    await fs.mkdir(artifacts.resolve(location), { recursive: true });
    await fs.writeFile(path.join(artifacts.resolve(location), 'weights.bin'), `weights of epoch ${epoch}`);
    const checkpoint = await prisma.checkpoint.create({
      data: { runId, epoch, sizeBytes: 17n, sha256: '0'.repeat(64), location },
    });
    checkpoints.set(epoch, checkpoint.id);
  }
  for (const [epoch, aliases] of [
    [1, ['production']],
    [2, []],
  ] as const) {
    const result = await test.execute<{ promoteCheckpoint: { id: string; version: number } }>(PROMOTE, {
      input: { checkpointId: checkpoints.get(epoch), aliases, description: `epoch ${epoch}` },
    });
    versions.set(result.data!.promoteCheckpoint.version, result.data!.promoteCheckpoint.id);
  }
});
afterAll(async () => {
  await test?.close();
});

/** The errors of an operation as [message, extensions] pairs. */
async function errorsOf(query: string, variables: Record<string, unknown>) {
  const result = await test.execute(query, variables);
  expect(result.data).toBeNull();
  return result.errors?.map((error) => [error.message, error.extensions]);
}

describe('promoteCheckpoint of a checkpoint that already has a version', () => {
  it('returns that version, moves the given aliases to it and replaces its description, copying nothing', async () => {
    expect(await test.execute(PROMOTE, { input: { checkpointId: checkpoints.get(1), aliases: ['staging'] } })).toEqual({
      data: {
        promoteCheckpoint: {
          id: versions.get(1),
          version: 1,
          aliases: ['production', 'staging'],
          description: 'epoch 1',
        },
      },
      errors: undefined,
    });
    expect(
      await test.execute(PROMOTE, { input: { checkpointId: checkpoints.get(1), description: 'the first, again' } }),
    ).toEqual({
      data: {
        promoteCheckpoint: {
          id: versions.get(1),
          version: 1,
          aliases: ['production', 'staging'],
          description: 'the first, again',
        },
      },
      errors: undefined,
    });
    const { artifacts, prisma } = test.api.services;
    expect(await artifacts.list('registry/registry')).toEqual(['registry/registry/v1', 'registry/registry/v2']);
    expect(await prisma.modelVersion.count({ where: { modelId } })).toBe(2);
  });

  it('returns it even when the checkpoint was pruned since, as the registry has its own copy', async () => {
    const { prisma } = test.api.services;
    await prisma.checkpoint.update({ where: { id: checkpoints.get(2) }, data: { prunedAt: new Date() } });
    expect(await test.execute(PROMOTE, { input: { checkpointId: checkpoints.get(2) } })).toEqual({
      data: { promoteCheckpoint: { id: versions.get(2), version: 2, aliases: [], description: 'epoch 2' } },
      errors: undefined,
    });
  });

  it('makes one version of two promotions of the same checkpoint at once', async () => {
    const input = { checkpointId: checkpoints.get(3), aliases: ['candidate'] };
    const [first, second] = await Promise.all([
      test.execute<{ promoteCheckpoint: { id: string } }>(PROMOTE, { input }),
      test.execute<{ promoteCheckpoint: { id: string } }>(PROMOTE, { input }),
    ]);
    expect(first.errors).toBeUndefined();
    expect(second).toEqual(first);
    expect(first.data!.promoteCheckpoint).toEqual({
      id: first.data!.promoteCheckpoint.id,
      version: 3,
      aliases: ['candidate'],
      description: '',
    });
    versions.set(3, first.data!.promoteCheckpoint.id);
    expect(await test.api.services.artifacts.list('registry/registry')).toEqual([
      'registry/registry/v1',
      'registry/registry/v2',
      'registry/registry/v3',
    ]);
  });

  it('checks aliases and the description as a first promotion does', async () => {
    expect(await errorsOf(PROMOTE, { input: { checkpointId: checkpoints.get(4), aliases: ['blue green'] } })).toEqual([
      [
        "Invalid alias 'blue green': use 1 to 50 letters, digits, '-', '_' or '.', e.g. 'production'.",
        { code: 'BAD_USER_INPUT', field: 'aliases', value: 'blue green' },
      ],
    ]);
    expect(
      await errorsOf(PROMOTE, { input: { checkpointId: checkpoints.get(1), description: 'x'.repeat(2001) } }),
    ).toEqual([
      [
        'Expected description to be at most 2000 characters, got 2001.',
        { code: 'BAD_USER_INPUT', field: 'description', value: `${'x'.repeat(97)}...` },
      ],
    ]);
    expect(await test.api.services.prisma.modelVersion.count({ where: { checkpointId: checkpoints.get(4) } })).toBe(0);
  });
});

describe('setModelAlias', () => {
  it('moves an alias to another version, by model name', async () => {
    expect(
      await test.execute(SET_ALIAS, { input: { modelName: 'registry', alias: 'production', version: 2 } }),
    ).toEqual({
      data: { setModelAlias: { alias: 'production', version: { id: versions.get(2), version: 2 } } },
      errors: undefined,
    });
    expect((await test.execute(ALIASES)).data).toEqual({
      model: {
        aliases: [
          { alias: 'candidate', version: { version: 3 } },
          { alias: 'production', version: { version: 2 } },
          { alias: 'staging', version: { version: 1 } },
        ],
      },
    });
  });

  it('creates an alias the model does not have, by model id', async () => {
    expect(await test.execute(SET_ALIAS, { input: { modelId, alias: 'canary_v1.2-b', version: 1 } })).toEqual({
      data: { setModelAlias: { alias: 'canary_v1.2-b', version: { id: versions.get(1), version: 1 } } },
      errors: undefined,
    });
    const version = await test.execute(`query($id: ID!) { model(id: $id) { versions { version aliases } } }`, {
      id: modelId,
    });
    expect(version.data).toEqual({
      model: {
        versions: [
          { version: 3, aliases: ['candidate'] },
          { version: 2, aliases: ['production'] },
          { version: 1, aliases: ['canary_v1.2-b', 'staging'] },
        ],
      },
    });
  });

  it.each([
    ['', "Invalid alias '': use 1 to 50 letters, digits, '-', '_' or '.', e.g. 'production'."],
    ['a/b', "Invalid alias 'a/b': use 1 to 50 letters, digits, '-', '_' or '.', e.g. 'production'."],
    [
      'a'.repeat(51),
      `Invalid alias '${'a'.repeat(51)}': use 1 to 50 letters, digits, '-', '_' or '.', e.g. 'production'.`,
    ],
  ])('refuses the alias %j with BAD_USER_INPUT', async (alias, message) => {
    expect(await errorsOf(SET_ALIAS, { input: { modelId, alias, version: 1 } })).toEqual([
      [message, { code: 'BAD_USER_INPUT', field: 'alias', value: alias }],
    ]);
  });

  it('takes an alias of 50 characters', async () => {
    const alias = 'a'.repeat(50);
    expect((await test.execute(SET_ALIAS, { input: { modelId, alias, version: 3 } })).errors).toBeUndefined();
    await test.execute(REMOVE_ALIAS, { modelId, alias });
  });

  it('refuses a version number the model does not have with BAD_USER_INPUT', async () => {
    expect(await errorsOf(SET_ALIAS, { input: { modelId, alias: 'production', version: 9 } })).toEqual([
      [
        "Model 'registry' has no version 9; its versions are 1, 2, 3.",
        { code: 'BAD_USER_INPUT', field: 'version', value: 9 },
      ],
    ]);
    expect(
      await errorsOf(SET_ALIAS, { input: { modelName: 'unregistered', alias: 'production', version: 1 } }),
    ).toEqual([
      [
        "Model 'unregistered' has no version 1; promote a checkpoint first.",
        { code: 'BAD_USER_INPUT', field: 'version', value: 1 },
      ],
    ]);
  });

  it('needs exactly one of modelId and modelName, of a model that exists', async () => {
    const alias = { alias: 'production', version: 1 };
    expect(await errorsOf(SET_ALIAS, { input: alias })).toEqual([
      ['Give exactly one of modelId and modelName.', { code: 'BAD_USER_INPUT', field: 'modelId' }],
    ]);
    expect(await errorsOf(SET_ALIAS, { input: { ...alias, modelId, modelName: 'registry' } })).toEqual([
      ['Give exactly one of modelId and modelName.', { code: 'BAD_USER_INPUT', field: 'modelId' }],
    ]);
    expect(await errorsOf(SET_ALIAS, { input: { ...alias, modelName: 'nameless' } })).toEqual([
      ["No model named 'nameless'.", { code: 'BAD_USER_INPUT', field: 'modelName', value: 'nameless' }],
    ]);
    expect(await errorsOf(SET_ALIAS, { input: { ...alias, modelId: 'missing' } })).toEqual([
      ["No model with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
  });
});

describe('removeModelAlias', () => {
  it('removes the alias and returns the model; the version stays', async () => {
    expect(await test.execute(REMOVE_ALIAS, { modelId, alias: 'staging' })).toEqual({
      data: {
        removeModelAlias: {
          name: 'registry',
          aliases: [
            { alias: 'canary_v1.2-b', version: { version: 1 } },
            { alias: 'candidate', version: { version: 3 } },
            { alias: 'production', version: { version: 2 } },
          ],
        },
      },
      errors: undefined,
    });
    expect(await test.api.services.models.findVersion(versions.get(1)!)).toMatchObject({ version: 1 });
  });

  it('refuses an alias the model does not have with BAD_USER_INPUT that lists the ones it has', async () => {
    expect(await errorsOf(REMOVE_ALIAS, { modelId, alias: 'staging' })).toEqual([
      [
        "Model 'registry' has no alias 'staging'; its aliases are canary_v1.2-b, candidate, production.",
        { code: 'BAD_USER_INPUT', field: 'alias', value: 'staging' },
      ],
    ]);
    const unregistered = await test.api.services.models.find({ name: 'unregistered' });
    expect(await errorsOf(REMOVE_ALIAS, { modelId: unregistered!.id, alias: 'production' })).toEqual([
      [
        "Model 'unregistered' has no alias 'production'; it has none.",
        { code: 'BAD_USER_INPUT', field: 'alias', value: 'production' },
      ],
    ]);
  });

  it('answers NOT_FOUND for an unknown model id', async () => {
    expect(await errorsOf(REMOVE_ALIAS, { modelId: 'missing', alias: 'production' })).toEqual([
      ["No model with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
  });
});

describe('updateModelVersion', () => {
  it("replaces the version's description, and keeps it when none is given", async () => {
    const id = versions.get(2);
    const description = `Best of the sweep.\n${'y'.repeat(1980)}`;
    expect(description.length).toBe(1999);
    expect(await test.execute(UPDATE_VERSION, { input: { id, description } })).toEqual({
      data: { updateModelVersion: { id, version: 2, description } },
      errors: undefined,
    });
    expect(await test.execute(UPDATE_VERSION, { input: { id } })).toEqual({
      data: { updateModelVersion: { id, version: 2, description } },
      errors: undefined,
    });
    expect(await test.execute(UPDATE_VERSION, { input: { id, description: '' } })).toEqual({
      data: { updateModelVersion: { id, version: 2, description: '' } },
      errors: undefined,
    });
  });

  it('refuses a description over 2,000 characters with BAD_USER_INPUT, and keeps the old one', async () => {
    const id = versions.get(1)!;
    const { description } = (await test.api.services.models.findVersion(id))!;
    expect(await errorsOf(UPDATE_VERSION, { input: { id, description: 'z'.repeat(2001) } })).toEqual([
      [
        'Expected description to be at most 2000 characters, got 2001.',
        { code: 'BAD_USER_INPUT', field: 'description', value: `${'z'.repeat(97)}...` },
      ],
    ]);
    expect((await test.api.services.models.findVersion(id))?.description).toBe(description);
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    expect(await errorsOf(UPDATE_VERSION, { input: { id: 'missing', description: 'x' } })).toEqual([
      ["No model version with id 'missing'.", { code: 'NOT_FOUND', id: 'missing' }],
    ]);
  });
});
