// PyTorch weights in and out through the API: importModelVersion registers a safetensors state_dict (by path under
// IMPORT_ROOTS or as bytes) as a model version, GET /checkpoints/<id>/safetensors gives any checkpoint back in that
// format, and evaluateCheckpoint scores the test split, the training split or every image of a dataset.
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  buildResNet,
  exportStateDict,
  readSafetensors,
  resolveResNetConfig,
  writeSafetensors,
  type ResNetConfigInput,
} from '@resnet-lab/resnet';
import { loadCheckpoint, makeSyntheticDataset, train } from '@resnet-lab/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, stripesPng, type TestApi } from '../test-support/test-api.js';

const TINY: ResNetConfigInput = { arch: 'resnet18', width: 0.0625, classes: 4, inputSize: 16 };

let test: TestApi;
let importRoot: string;
/** The state dict of a freshly built TINY, as PyTorch would save it: every batch norm counts 7 batches. */
let tinyFile: Uint8Array;

/** A safetensors file of `config`'s state dict, built with `seed`. */
function stateDictFile(config: ResNetConfigInput, seed: number, numBatchesTracked = 0): Uint8Array {
  const model = buildResNet(resolveResNetConfig(config), { seed });
  try {
    return writeSafetensors(exportStateDict(model, { numBatchesTracked }));
  } finally {
    model.dispose();
  }
}

beforeAll(async () => {
  test = await startTestApi({ MAX_BODY_BYTES: String(4 * 1024 * 1024) });
  importRoot = path.join(test.dataDir, 'imports');
  tinyFile = stateDictFile(TINY, 5, 7);
  await fs.writeFile(path.join(importRoot, 'tiny.safetensors'), tinyFile);
  await fs.writeFile(path.join(importRoot, 'wider.safetensors'), stateDictFile({ ...TINY, width: 0.125 }, 5));
  await fs.writeFile(path.join(importRoot, 'ten-classes.safetensors'), stateDictFile({ ...TINY, classes: 10 }, 5));
  await fs.writeFile(path.join(importRoot, 'resnet34.safetensors'), stateDictFile({ ...TINY, arch: 'resnet34' }, 5));
  await fs.writeFile(path.join(test.dataDir, 'outside.safetensors'), tinyFile);
  for (const mutation of [
    `mutation { createModel(input: { name: "tiny", arch: "resnet18", width: 0.0625, classes: 4, inputSize: 16 }) { id } }`,
    `mutation { registerDataset(input: { name: "tiny", format: SYNTHETIC,
      synthetic: { classes: 4, imageSize: 16, trainCount: 24, testCount: 8 } }) { id } }`,
  ]) {
    expect((await test.execute(mutation)).errors).toBeUndefined();
  }
});
afterAll(async () => {
  await test?.close();
});

const IMPORT = `mutation($input: ImportModelVersionInput!) {
  importModelVersion(input: $input) {
    version aliases description
    checkpoint { id epoch testAccuracy safetensorsPath
      run { name status source epochs dataset { name } checkpoints { id } } }
  }
}`;

interface Imported {
  importModelVersion: {
    version: number;
    aliases: string[];
    description: string;
    checkpoint: {
      id: string;
      epoch: number;
      testAccuracy: number | null;
      safetensorsPath: string;
      run: {
        name: string;
        status: string;
        source: string;
        epochs: number;
        dataset: { name: string };
        checkpoints: { id: string }[];
      };
    };
  };
}

async function importVersion(input: Record<string, unknown>) {
  return test.execute<Imported>(IMPORT, { input: { modelName: 'tiny', datasetName: 'tiny', ...input } });
}

/** GET a path on the API server, as a browser or curl would. */
async function download(pathname: string, authorization?: string) {
  const response = await fetch(new URL(pathname, test.api.url), {
    headers: authorization ? { authorization } : {},
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    contentDisposition: response.headers.get('content-disposition'),
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

/** How many runs hold imported weights, and their directories in the artifact store. */
async function importedRuns() {
  const runs = await test.api.services.prisma.run.findMany({
    where: { source: 'IMPORT' },
    orderBy: { createdAt: 'asc' },
  });
  const directories = await test.api.services.artifacts.list('runs');
  return { ids: runs.map((run) => run.id), directories: directories.map((key) => key.slice('runs/'.length)).sort() };
}

describe('importModelVersion', () => {
  let imported: Imported['importModelVersion'];

  it('registers a file under IMPORT_ROOTS as the next version: the one epoch-0 checkpoint of an IMPORT run', async () => {
    const result = await importVersion({ path: 'tiny.safetensors', aliases: ['production'], description: 'seed 5' });
    expect(result.errors).toBeUndefined();
    imported = result.data!.importModelVersion;
    expect(imported).toEqual({
      version: 1,
      aliases: ['production'],
      description: 'seed 5',
      checkpoint: {
        id: imported.checkpoint.id,
        epoch: 0,
        testAccuracy: null,
        safetensorsPath: `/checkpoints/${imported.checkpoint.id}/safetensors`,
        run: {
          name: 'tiny from tiny.safetensors',
          status: 'COMPLETED',
          source: 'IMPORT',
          epochs: 0,
          dataset: { name: 'tiny' },
          checkpoints: [{ id: imported.checkpoint.id }],
        },
      },
    });
  });

  it('answers HEAD with the name and no conversion, and concurrent downloads with the same bytes', async () => {
    const { checkpoints } = test.api.services;
    const convert = checkpoints.exportSafetensors.bind(checkpoints);
    let conversions = 0;
    checkpoints.exportSafetensors = (directory) => {
      conversions += 1;
      return convert(directory);
    };
    try {
      const head = await fetch(new URL(imported.checkpoint.safetensorsPath, test.api.url), { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-disposition')).toBe(
        `attachment; filename="checkpoint-${imported.checkpoint.id}-epoch-0000.safetensors"`,
      );
      expect(conversions).toBe(0);
      const downloads = await Promise.all([1, 2, 3].map(() => download(imported.checkpoint.safetensorsPath)));
      expect(downloads.map((answer) => answer.status)).toEqual([200, 200, 200]);
      for (const answer of downloads.slice(1)) {
        expect(Buffer.from(answer.body).equals(Buffer.from(downloads[0]!.body))).toBe(true);
      }
      expect(conversions).toBe(3);
    } finally {
      checkpoints.exportSafetensors = convert;
    }
  });

  it('gives the weights back bitwise as safetensors, num_batches_tracked included', async () => {
    const downloaded = await download(imported.checkpoint.safetensorsPath);
    expect(downloaded.status).toBe(200);
    expect(downloaded.contentType).toBe('application/octet-stream');
    expect(downloaded.contentDisposition).toBe(
      `attachment; filename="checkpoint-${imported.checkpoint.id}-epoch-0000.safetensors"`,
    );
    const original = readSafetensors(tinyFile).tensors;
    const { tensors, metadata } = readSafetensors(downloaded.body);
    expect([...tensors.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [key, tensor] of original) {
      const back = tensors.get(key)!;
      expect({ key, dtype: back.dtype, shape: back.shape }).toEqual({ key, dtype: tensor.dtype, shape: tensor.shape });
      expect(Buffer.from(back.data).equals(Buffer.from(tensor.data)), key).toBe(true);
    }
    expect(
      new DataView(tensors.get('bn1.num_batches_tracked')!.data.buffer).getBigInt64(
        tensors.get('bn1.num_batches_tracked')!.data.byteOffset,
        true,
      ),
    ).toBe(7n);
    // The dataset's class names label the outputs, as predictions show them.
    expect(JSON.parse(metadata.classNames!)).toEqual([
      'horizontal-stripes',
      'vertical-stripes',
      'diagonal-stripes',
      'checkerboard',
    ]);
  });

  it('predicts with the imported version by alias, labelled by the dataset', async () => {
    const result = await test.execute<{ predict: { topK: { label: string }[]; modelVersion: { version: number } } }>(
      `mutation($image: String!) { predict(input: { modelName: "tiny", imageBase64: $image, topK: 4 }) {
        topK { label } modelVersion { version } } }`,
      { image: stripesPng(16).toString('base64') },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.predict.modelVersion).toEqual({ version: 1 });
    expect(result.data!.predict.topK.map((entry) => entry.label).sort()).toEqual([
      'checkerboard',
      'diagonal-stripes',
      'horizontal-stripes',
      'vertical-stripes',
    ]);
  });

  it('registers uploaded bytes as the next version, and moves the alias to it', async () => {
    const result = await importVersion({
      safetensorsBase64: Buffer.from(tinyFile).toString('base64'),
      aliases: ['production'],
      name: 'uploaded',
    });
    expect(result.errors).toBeUndefined();
    const version = result.data!.importModelVersion;
    expect(version).toMatchObject({ version: 2, aliases: ['production'], checkpoint: { run: { name: 'uploaded' } } });
    const aliases = await test.execute(`{ model(name: "tiny") { aliases { alias version { version } } } }`);
    expect(aliases.data).toEqual({ model: { aliases: [{ alias: 'production', version: { version: 2 } }] } });
  });

  it.each([
    [
      'wider.safetensors',
      "The weights do not fit model 'tiny': 'conv1.weight' has shape [8, 3, 3, 3] in the state dict; resnet18 " +
        '(cifar stem, width 0.0625, 4 classes, 16x16 input) expects [4, 3, 3, 3].',
    ],
    [
      'ten-classes.safetensors',
      "The weights do not fit model 'tiny': 'linear.weight' has shape [10, 32] in the state dict; resnet18 " +
        '(cifar stem, width 0.0625, 4 classes, 16x16 input) expects [4, 32].',
    ],
    [
      'resnet34.safetensors',
      "The weights do not fit model 'tiny': The state dict has 'layer1.2.bn1.bias' (shape [4]), which resnet18 " +
        '(cifar stem, width 0.0625, 4 classes, 16x16 input) does not have.',
    ],
  ])('refuses %s with BAD_USER_INPUT naming the first key that differs and both shapes', async (file, message) => {
    const result = await importVersion({ path: file });
    expect(result.errors).toEqual([
      {
        message,
        extensions: { code: 'BAD_USER_INPUT', field: 'path', value: file },
        locations: [{ line: 2, column: 3 }],
        path: ['importModelVersion'],
      },
    ]);
  });

  it('refuses bytes that are not safetensors, and a file given both ways or neither', async () => {
    const garbage = await importVersion({
      safetensorsBase64: Buffer.from('not a safetensors file').toString('base64'),
    });
    expect(garbage.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'safetensorsBase64' });
    expect(garbage.errors?.[0]?.message).toMatch(/^The file is not safetensors: /);
    const notBase64 = await importVersion({ safetensorsBase64: 'not base64!' });
    expect(notBase64.errors?.[0]?.message).toBe('The file is not valid base64.');
    const both = await importVersion({ path: 'tiny.safetensors', safetensorsBase64: '' });
    const neither = await importVersion({});
    for (const [result, which] of [
      [both, 'both'],
      [neither, 'neither'],
    ] as const) {
      expect(result.errors?.map((error) => [error.message, error.extensions])).toEqual([
        [
          'Give the safetensors file either as path (a file on the API machine under IMPORT_ROOTS) or as ' +
            `safetensorsBase64 (its bytes), not ${which}.`,
          { code: 'BAD_USER_INPUT', field: 'path' },
        ],
      ]);
    }
  });

  it('refuses a path outside IMPORT_ROOTS with FORBIDDEN, whether it exists or not', async () => {
    for (const given of [path.join(test.dataDir, 'outside.safetensors'), '../outside.safetensors', '/etc/passwd']) {
      const result = await importVersion({ path: given });
      expect(result.errors?.map((error) => [error.message, error.extensions])).toEqual([
        [
          `Expected path to be a file under IMPORT_ROOTS (${importRoot}), links resolved; got '${given}'.`,
          { code: 'FORBIDDEN' },
        ],
      ]);
    }
    const missing = await importVersion({ path: 'missing.safetensors' });
    expect(missing.errors?.map((error) => [error.message, error.extensions])).toEqual([
      [
        `There is no file at ${path.join(importRoot, 'missing.safetensors')}.`,
        { code: 'BAD_USER_INPUT', field: 'path', value: 'missing.safetensors' },
      ],
    ]);
  });

  it('refuses an unknown model or dataset, a dataset of another class count, and an unknown normalization', async () => {
    const messages = async (input: Record<string, unknown>) =>
      (await importVersion({ path: 'tiny.safetensors', ...input })).errors?.map((error) => [
        error.message,
        error.extensions,
      ]);
    expect(await messages({ modelName: 'nope' })).toEqual([
      [
        "No model named 'nope'. Create it with createModel first, with the architecture of the weights.",
        { code: 'BAD_USER_INPUT', field: 'modelName', value: 'nope' },
      ],
    ]);
    expect(await messages({ datasetName: 'nope' })).toEqual([
      [
        "No dataset named 'nope'. Registered: cifar10, synthetic, tiny.",
        { code: 'BAD_USER_INPUT', field: 'datasetName', value: 'nope' },
      ],
    ]);
    expect(await messages({ datasetName: 'synthetic' })).toEqual([
      [
        "Model 'tiny' has 4 classes but dataset 'synthetic' has 10: the dataset's class names label the weights' " +
          'outputs, one each.',
        { code: 'BAD_USER_INPUT', field: 'datasetName', value: 'synthetic' },
      ],
    ]);
    expect(await messages({ normalization: 'mnist' })).toEqual([
      [
        "Expected normalization to be one of cifar10, imagenet, none, got 'mnist'.",
        { code: 'BAD_USER_INPUT', field: 'normalization', value: 'mnist' },
      ],
    ]);
  });

  it('removes the run, checkpoint and files it wrote when the promotion that follows fails', async () => {
    const created = await test.execute(
      `mutation { createModel(input: { name: "blocked", arch: "resnet18", width: 0.0625, classes: 4, inputSize: 16 }) { id } }`,
    );
    expect(created.errors).toBeUndefined();
    // A file where the model's registry directory goes: copying the version there fails.
    await fs.mkdir(path.join(test.dataDir, 'artifacts', 'registry'), { recursive: true });
    await fs.writeFile(path.join(test.dataDir, 'artifacts', 'registry', 'blocked'), 'not a directory');
    const result = await importVersion({ modelName: 'blocked', path: 'tiny.safetensors' });
    expect(result.errors?.map((error) => error.extensions)).toEqual([{ code: 'INTERNAL_SERVER_ERROR' }]);
    const model = await test.api.services.prisma.model.findUniqueOrThrow({ where: { name: 'blocked' } });
    expect(await test.api.services.prisma.run.count({ where: { modelId: model.id } })).toBe(0);
  });

  it('leaves no run, checkpoint or file behind from the imports it refused', async () => {
    const { ids, directories } = await importedRuns();
    expect(ids).toHaveLength(2);
    expect(directories).toEqual([...ids].sort());
    expect(await test.api.services.prisma.checkpoint.count({ where: { runId: { in: ids } } })).toBe(2);
  });

  it('queues a run that fine-tunes the imported weights with resumeRun', async () => {
    const runId = (await importedRuns()).ids[0]!;
    const resumed = await test.execute<{ resumeRun: { status: string; resumedFrom: { id: string } } }>(
      `mutation($id: ID!) { resumeRun(input: { runId: $id, epochs: 2 }) { status epochs resumedFrom { id } } }`,
      { id: runId },
    );
    expect(resumed).toEqual({
      data: { resumeRun: { status: 'QUEUED', epochs: 2, resumedFrom: { id: imported.checkpoint.id } } },
      errors: undefined,
    });
  });
});

describe('GET /checkpoints/<id>/safetensors', () => {
  it("gives a trained checkpoint's weights and running statistics in PyTorch's layouts", async () => {
    const result = await train(
      { data: 'synthetic', arch: 'resnet18', width: 0.0625, epochs: 1, batchSize: 16, seed: 2, backend: 'wasm' },
      {
        outDir: path.join(test.dataDir, 'trained'),
        dataset: makeSyntheticDataset({ classes: 4, trainCount: 32, testCount: 16, imageSize: 16, seed: 1 }),
      },
    );
    const [runId] = (await importedRuns()).ids;
    const row = await test.api.services.prisma.checkpoint.create({
      data: { runId: runId!, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: result.lastCheckpoint! },
    });
    try {
      const downloaded = await download(`/checkpoints/${row.id}/safetensors`);
      expect(downloaded.status).toBe(200);
      const trained = await loadCheckpoint(result.lastCheckpoint!);
      const expected = exportStateDict(trained.model);
      trained.model.dispose();
      trained.momentumBuffers.forEach((tensor) => tensor.dispose());
      const { tensors } = readSafetensors(downloaded.body);
      expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [key, tensor] of expected) {
        expect(Buffer.from(tensors.get(key)!.data).equals(Buffer.from(tensor.data)), key).toBe(true);
      }
      // Training moved the running statistics away from their initial 0 and 1.
      const runningMean = new Float32Array(tensors.get('bn1.running_mean')!.data.slice().buffer);
      expect(runningMean.some((value) => value !== 0)).toBe(true);
    } finally {
      await test.api.services.prisma.checkpoint.delete({ where: { id: row.id } });
    }
  });

  it('answers 404 for an unknown checkpoint and 410 for a pruned one, whose safetensorsPath is null', async () => {
    const missing = await download('/checkpoints/missing/safetensors');
    expect(missing.status).toBe(404);
    expect(JSON.parse(Buffer.from(missing.body).toString())).toEqual({ error: "No checkpoint with id 'missing'." });
    const [runId] = (await importedRuns()).ids;
    const pruned = await test.api.services.prisma.checkpoint.create({
      data: { runId: runId!, epoch: 1, sizeBytes: 1n, sha256: '0'.repeat(64), location: 'gone', prunedAt: new Date() },
    });
    try {
      const answer = await download(`/checkpoints/${pruned.id}/safetensors`);
      expect(answer.status).toBe(410);
      expect(JSON.parse(Buffer.from(answer.body).toString())).toEqual({
        error: `Checkpoint ${pruned.id} (epoch 1) was pruned: its files are gone.`,
      });
      const field = await test.execute(`query($id: ID!) { checkpoint(id: $id) { safetensorsPath downloadPath } }`, {
        id: pruned.id,
      });
      expect(field.data).toEqual({ checkpoint: { safetensorsPath: null, downloadPath: null } });
    } finally {
      await test.api.services.prisma.checkpoint.delete({ where: { id: pruned.id } });
    }
  });
});

describe('GET /checkpoints/<id>/safetensors with API_TOKEN set', () => {
  let secured: TestApi;
  beforeAll(async () => {
    secured = await startTestApi({ API_TOKEN: 'correct-horse-battery' });
  });
  afterAll(async () => {
    await secured?.close();
  });

  it('needs the bearer token, as the tar download does', async () => {
    const url = new URL('/checkpoints/missing/safetensors', secured.api.url);
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: 'Downloads need a token: send `Authorization: Bearer <API_TOKEN>`.',
      code: 'UNAUTHENTICATED',
    });
    const allowed = await fetch(url, { headers: { authorization: 'Bearer correct-horse-battery' } });
    expect(allowed.status).toBe(404);
  });
});

describe('evaluateCheckpoint with a split', () => {
  const EVALUATE = `mutation($input: EvaluateCheckpointInput!) {
    evaluateCheckpoint(input: $input) { split images perClass { images } dataset { name } } }`;
  let checkpointId: string;
  let onFolder: string;
  beforeAll(async () => {
    checkpointId = (await test.api.services.prisma.checkpoint.findFirstOrThrow({ where: { epoch: 0 } })).id;
    // A folder of 10 images per class, without train/ and test/: a test set of its own.
    const folder = path.join(test.dataDir, 'datasets', 'folder');
    for (const className of ['a', 'b', 'c', 'd']) {
      await fs.mkdir(path.join(folder, className), { recursive: true });
      for (let index = 0; index < 10; index++) {
        await fs.writeFile(path.join(folder, className, `${index}.png`), stripesPng(16 + index));
      }
    }
    const registered = await test.execute(
      `mutation { registerDataset(input: { name: "folder", format: IMAGE_FOLDER, location: "folder" }) { id } }`,
    );
    expect(registered.errors).toBeUndefined();
    // Weights whose classes the folder names, so that it is their run's dataset.
    const imported = await importVersion({ path: 'tiny.safetensors', datasetName: 'folder' });
    expect(imported.errors).toBeUndefined();
    onFolder = imported.data!.importModelVersion.checkpoint.id;
  });

  async function evaluate(input: Record<string, unknown>) {
    const result = await test.execute<{
      evaluateCheckpoint: { split: string; images: number; perClass: { images: number }[]; dataset: { name: string } };
    }>(EVALUATE, { input: { checkpointId, ...input } });
    expect(result.errors).toBeUndefined();
    return result.data!.evaluateCheckpoint;
  }

  it("scores the run's dataset: its test images by default, its training images, or all of them", async () => {
    expect(await evaluate({})).toEqual({
      split: 'TEST',
      images: 8,
      perClass: [2, 2, 2, 2].map((images) => ({ images })),
      dataset: { name: 'tiny' },
    });
    expect(await evaluate({ split: 'TRAIN' })).toMatchObject({ split: 'TRAIN', images: 24 });
    expect(await evaluate({ split: 'ALL' })).toMatchObject({ split: 'ALL', images: 32 });
  });

  it('scores a whole folder without train/ and test/ with ALL, not only its held-out tenth', async () => {
    expect(await evaluate({ checkpointId: onFolder, split: 'ALL' })).toEqual({
      split: 'ALL',
      images: 40,
      perClass: [10, 10, 10, 10].map((images) => ({ images })),
      dataset: { name: 'folder' },
    });
    expect(await evaluate({ checkpointId: onFolder, split: 'TRAIN' })).toMatchObject({ split: 'TRAIN', images: 36 });
    expect(await evaluate({ checkpointId: onFolder })).toMatchObject({ split: 'TEST', images: 4 });
  });
});
