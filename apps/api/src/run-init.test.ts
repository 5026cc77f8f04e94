// startRun's `init` hyperparameter: its default by the model's stem, its check, and how runs record and show it
// (rows recorded before it existed included).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../test-support/test-api.js';

let test: TestApi;
beforeAll(async () => {
  test = await startTestApi();
  for (const input of [
    { name: 'tiny-cifar', arch: 'resnet18', width: 0.0625, classes: 4, inputSize: 32 },
    { name: 'tiny-imagenet', arch: 'resnet18', stem: 'imagenet', width: 0.0625, classes: 4, inputSize: 32 },
  ]) {
    const created = await test.execute(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
      input,
    });
    expect(created.errors).toBeUndefined();
  }
  const registered = await test.execute(
    `mutation { registerDataset(input: { name: "tiny", format: SYNTHETIC, synthetic: { classes: 4, imageSize: 32 } }) { id } }`,
  );
  expect(registered.errors).toBeUndefined();
});
afterAll(async () => {
  await test?.close();
});

const START_RUN = `mutation($input: StartRunInput!) { startRun(input: $input) { id hyperparameters { init seed } } }`;

async function startRun(input: Record<string, unknown>) {
  return test.execute<{ startRun: { id: string; hyperparameters: { init: string; seed: number } } }>(START_RUN, {
    input: { datasetName: 'tiny', ...input },
  });
}

describe('startRun with init', () => {
  it('defaults to pytorch-default for the cifar stem and torchvision for the imagenet stem', async () => {
    const cifar = await startRun({ modelName: 'tiny-cifar' });
    const imagenet = await startRun({ modelName: 'tiny-imagenet' });
    expect(cifar.errors).toBeUndefined();
    expect(imagenet.errors).toBeUndefined();
    expect(cifar.data!.startRun.hyperparameters).toEqual({ init: 'pytorch-default', seed: 0 });
    expect(imagenet.data!.startRun.hyperparameters).toEqual({ init: 'torchvision', seed: 0 });
  });

  it('records the init asked for in the config the worker trains with, and shows it on the run', async () => {
    const started = await startRun({ modelName: 'tiny-cifar', init: 'torchvision' });
    expect(started.errors).toBeUndefined();
    const { id } = started.data!.startRun;
    const row = await test.api.services.prisma.run.findUniqueOrThrow({ where: { id } });
    expect((row.config as { init: unknown }).init).toBe('torchvision');
    const read = await test.execute(`query($id: ID!) { run(id: $id) { hyperparameters { init } } }`, { id });
    expect(read).toEqual({ data: { run: { hyperparameters: { init: 'torchvision' } } }, errors: undefined });
  });

  it('refuses an unknown init with BAD_USER_INPUT naming the field, the value and the allowed ones', async () => {
    const result = await startRun({ modelName: 'tiny-cifar', init: 'xavier' });
    expect(result.data).toBeNull();
    expect(result.errors).toEqual([
      {
        message: "Expected init to be one of pytorch-default, torchvision, got 'xavier'.",
        extensions: { code: 'BAD_USER_INPUT', field: 'init', value: 'xavier' },
        path: ['startRun'],
        locations: [{ line: 1, column: 36 }],
      },
    ]);
  });

  it('shows torchvision for a run recorded before init was recorded, and compares runs by init', async () => {
    const older = await startRun({ modelName: 'tiny-cifar' });
    const newer = await startRun({ modelName: 'tiny-cifar' });
    const olderId = older.data!.startRun.id;
    const prisma = test.api.services.prisma;
    const { init: _dropped, ...withoutInit } = (await prisma.run.findUniqueOrThrow({ where: { id: olderId } }))
      .config as Record<string, unknown>;
    expect(_dropped).toBe('pytorch-default');
    await prisma.run.update({ where: { id: olderId }, data: { config: withoutInit as never } });
    const compared = await test.execute<{
      compareRuns: { runs: { hyperparameters: { init: string } }[]; hyperparameters: unknown[] };
    }>(
      `query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { hyperparameters { init } } hyperparameters { name values differs } } }`,
      { ids: [olderId, newer.data!.startRun.id] },
    );
    expect(compared.errors).toBeUndefined();
    expect(compared.data!.compareRuns.runs).toEqual([
      { hyperparameters: { init: 'torchvision' } },
      { hyperparameters: { init: 'pytorch-default' } },
    ]);
    expect(compared.data!.compareRuns.hyperparameters).toContainEqual({
      name: 'init',
      values: ['torchvision', 'pytorch-default'],
      differs: true,
    });
    // A run resumed from it keeps the init its weights were made with.
    await prisma.run.update({ where: { id: olderId }, data: { status: 'CANCELLED', finishedAt: new Date() } });
    await prisma.checkpoint.create({
      data: { runId: olderId, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: `runs/${olderId}/epoch-0001` },
    });
    const resumed = await test.execute<{ resumeRun: { hyperparameters: { init: string } } }>(
      `mutation($id: ID!) { resumeRun(input: { runId: $id, epochs: 2 }) { hyperparameters { init } } }`,
      { id: olderId },
    );
    expect(resumed).toEqual({ data: { resumeRun: { hyperparameters: { init: 'torchvision' } } }, errors: undefined });
  });
});
