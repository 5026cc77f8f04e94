// predict through the API with a real (tiny, freshly trained) checkpoint: the pixel limit read from the image header,
// decoding on the image decoder pool's threads while the API keeps answering, and the same top-k as the trainer.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  InferenceModel,
  loadCheckpoint,
  makeSyntheticDataset,
  predictImages,
  prepareImage,
  train,
  type TrainConfigInput,
} from '@resnet-lab/trainer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { blackPng } from '../../test-support/black-png.js';
import { startTestApi, stripesPng, type TestApi } from '../../test-support/test-api.js';
import { INLINE_DECODE_PIXELS, PredictionService, type ImageDecoder } from './prediction-service.js';

let test: TestApi;
let checkpointDirectory: string;
let checkpointId: string;

const PREDICT = `mutation($input: PredictInput!) {
  predict(input: $input) { topK { classIndex label probability } }
}`;

interface PredictData {
  predict: { topK: { classIndex: number; label: string; probability: number }[] };
}

/** A 4-class ResNet-18 at 1/16 width on 16x16 synthetic images: one epoch takes about a second. */
const TINY: TrainConfigInput = {
  data: 'synthetic',
  arch: 'resnet18',
  width: 1 / 16,
  epochs: 1,
  batchSize: 32,
  learningRate: 0.05,
  schedule: 'constant',
  seed: 3,
  backend: 'wasm',
};

beforeAll(async () => {
  // The default MAX_IMAGE_PIXELS (50,000,000) and MAX_IMAGE_BYTES.
  test = await startTestApi();
  const outDir = path.join(test.dataDir, 'trained');
  const result = await train(TINY, {
    outDir,
    dataset: makeSyntheticDataset({ classes: 4, trainCount: 64, testCount: 32, imageSize: 16, seed: 1 }),
  });
  checkpointDirectory = result.lastCheckpoint!;
  const created = await test.execute<{ createModel: { id: string } }>(
    `mutation { createModel(input: { name: "tiny", arch: "resnet18", width: 0.0625, classes: 4, inputSize: 16 }) { id } }`,
  );
  expect(created.errors).toBeUndefined();
  const registered = await test.execute(
    `mutation { registerDataset(input: { name: "tiny", format: SYNTHETIC, synthetic: { classes: 4, imageSize: 16 } }) { id } }`,
  );
  expect(registered.errors).toBeUndefined();
  const started = await test.execute<{ startRun: { id: string } }>(
    `mutation { startRun(input: { modelName: "tiny", datasetName: "tiny", epochs: 1 }) { id } }`,
  );
  expect(started.errors).toBeUndefined();
  const checkpoint = await test.api.services.prisma.checkpoint.create({
    data: {
      runId: started.data!.startRun.id,
      epoch: 1,
      sizeBytes: 1n,
      sha256: '0'.repeat(64),
      location: checkpointDirectory,
    },
  });
  checkpointId = checkpoint.id;
});
afterAll(async () => {
  await test?.close();
});

function errorOf(result: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) {
  expect(result.errors, 'expected an error').toBeDefined();
  return result.errors![0]!;
}

describe('predict', () => {
  it('returns the top-k of the trainer’s predictImages, exactly', async () => {
    const image = stripesPng(40);
    const result = await test.execute<PredictData>(PREDICT, {
      input: { checkpointId, imageBase64: image.toString('base64'), topK: 4 },
    });
    expect(result.errors).toBeUndefined();
    // The API has loaded the compute backend by now: the reference runs on the same one, on the same folded model.
    const checkpoint = await loadCheckpoint(checkpointDirectory);
    checkpoint.momentumBuffers.forEach((tensor) => tensor.dispose());
    const { classNames, normalization } = checkpoint.metadata;
    const inference = InferenceModel.fromResNet(checkpoint.model, checkpoint.metadata.model);
    const [expected] = await predictImages(
      { model: inference, classNames, normalization },
      [{ source: 'stripes.png', bytes: image }],
      4,
    );
    inference.dispose();
    checkpoint.model.dispose();
    // Probabilities are float32 values; the database's JSON may print the last digit of their double differently.
    const asFloat32 = (entry: { classIndex: number; label: string; probability: number }) => ({
      ...entry,
      probability: Math.fround(entry.probability),
    });
    expect(result.data!.predict.topK.map(asFloat32)).toEqual(
      expected!.top.map((entry) =>
        asFloat32({ classIndex: entry.label, label: entry.className, probability: entry.probability }),
      ),
    );
    expect(result.data!.predict.topK.map((entry) => entry.classIndex).sort()).toEqual([0, 1, 2, 3]);
  });

  it('refuses an image over MAX_IMAGE_PIXELS from its header, without decoding it', async () => {
    const bomb = blackPng(9999, 9999);
    // 99,980,001 pixels (400 MB as RGBA) in about 12 KB.
    expect(bomb.byteLength).toBeLessThan(16 * 1024);
    const message = 'The image is 9999x9999 = 99980001 pixels; the limit is 50000000 (MAX_IMAGE_PIXELS).';
    const refused = errorOf(
      await test.execute(PREDICT, { input: { checkpointId, imageBase64: bomb.toString('base64') } }),
    );
    expect(refused).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT', field: 'imageBase64' } });
    // The same header with no pixel data: a decoder could only fail on it, so the answer comes from the header alone.
    const header = blackPng(9999, 9999, { rows: false });
    const headerOnly = errorOf(
      await test.execute(PREDICT, { input: { checkpointId, imageBase64: header.toString('base64') } }),
    );
    expect(headerOnly).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT', field: 'imageBase64' } });
    // JPEG: the frame header of a 20,000 x 20,000 image, and nothing else.
    const jpegHeader = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 8, 0x4e, 0x20, 0x4e, 0x20, 1, 1, 0x11, 0]);
    const jpeg = errorOf(
      await test.execute(PREDICT, { input: { checkpointId, imageBase64: jpegHeader.toString('base64') } }),
    );
    expect(jpeg).toMatchObject({
      message: 'The image is 20000x20000 = 400000000 pixels; the limit is 50000000 (MAX_IMAGE_PIXELS).',
      extensions: { code: 'BAD_USER_INPUT', field: 'imageBase64' },
    });
  });

  it('refuses an image whose header is cut short, naming why', async () => {
    const cut = blackPng(16, 16).subarray(0, 20);
    const error = errorOf(
      await test.execute(PREDICT, { input: { checkpointId, imageBase64: cut.toString('base64') } }),
    );
    expect(error).toMatchObject({
      message:
        'The image could not be decoded: PNG imageBase64 is truncated: 20 bytes, too short for its IHDR header ' +
        '(24 bytes up to the height).',
      extensions: { code: 'BAD_USER_INPUT', field: 'imageBase64' },
    });
  });

  // Retried: on a machine busy with other work, a request can wait 100 ms for a core whatever the API does. Decoding
  // on the event loop fails every try: each of these images blocks it for hundreds of milliseconds.
  it('keeps answering other requests within 100 ms while four large images decode', { retry: 2 }, async () => {
    const healthz = new URL('/healthz', test.api.url);
    // 2,000 x 2,000 pixels, under the limit: each takes pngjs hundreds of milliseconds of CPU to decode.
    const image = blackPng(2000, 2000).toString('base64');
    // Loads the model and starts the decoder's threads, which is not what this test measures.
    const warmUp = await test.execute(PREDICT, {
      input: { checkpointId, imageBase64: stripesPng(16).toString('base64') },
    });
    expect(warmUp.errors).toBeUndefined();
    let pending = 4;
    const predictions = Array.from({ length: 4 }, () =>
      test
        .execute<PredictData>(PREDICT, { input: { checkpointId, imageBase64: image, topK: 1 } })
        .finally(() => pending--),
    );
    const latencies: number[] = [];
    while (pending > 0) {
      const started = performance.now();
      const response =
        latencies.length % 2 === 0
          ? await fetch(healthz)
          : await fetch(test.api.url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query: '{ system { version } }' }),
            });
      expect(response.status).toBe(200);
      await response.json();
      latencies.push(performance.now() - started);
      // Probes 50 ms apart: back to back, they would keep the event loop busy themselves.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const result of await Promise.all(predictions)) {
      expect(result.errors).toBeUndefined();
      expect(result.data!.predict.topK).toHaveLength(1);
    }
    // Each request was answered in time, and they were answered throughout the decoding.
    expect(latencies.filter((latency) => latency >= 100)).toEqual([]);
    expect(latencies.length).toBeGreaterThanOrEqual(5);
  });
});

/** The checkpoint's top-k for `image` by the trainer's predictImages, on the folded model, as `predict` returns it. */
async function expectedTopK(image: Uint8Array, topK: number) {
  const checkpoint = await loadCheckpoint(checkpointDirectory);
  checkpoint.momentumBuffers.forEach((tensor) => tensor.dispose());
  const { classNames, normalization } = checkpoint.metadata;
  const inference = InferenceModel.fromResNet(checkpoint.model, checkpoint.metadata.model);
  checkpoint.model.dispose();
  try {
    const [prediction] = await predictImages(
      { model: inference, classNames, normalization },
      [{ source: 'image', bytes: image }],
      topK,
    );
    return prediction!.top.map((entry) => ({
      classIndex: entry.label,
      label: entry.className,
      probability: entry.probability,
    }));
  } finally {
    inference.dispose();
  }
}

describe('PredictionService', () => {
  /** A service of its own on the test API's database, with a decoder that counts the images it is given. */
  function countingService() {
    const decoded: number[] = [];
    const decoder: ImageDecoder = {
      decode: ({ bytes, source, ...options }) => {
        decoded.push(bytes.byteLength);
        return Promise.resolve(prepareImage(bytes, source, options));
      },
    };
    const { prisma, checkpoints, artifacts, system } = test.api.services;
    const service = new PredictionService(prisma, checkpoints, artifacts, () => system.backend(), decoder, {
      cacheSize: 2,
      maxImageBytes: 1024 * 1024,
      maxImagePixels: 50_000_000,
    });
    return { service, decoded };
  }

  it('decodes an image of up to 64x64 pixels itself and a larger one on the decoder, with the same top-k', async () => {
    expect(INLINE_DECODE_PIXELS).toBe(64 * 64);
    const { service, decoded } = countingService();
    try {
      for (const [size, decodedSizes] of [
        [64, []],
        [65, [stripesPng(65).byteLength]],
      ] as const) {
        const image = stripesPng(size);
        const prediction = await service.predict({ checkpointId, imageBase64: image.toString('base64'), topK: 4 });
        expect(decoded).toEqual(decodedSizes);
        // The database keeps float32 probabilities as doubles.
        const float32 = (entries: readonly { classIndex: number; label: string; probability: number }[]) =>
          entries.map((entry) => ({ ...entry, probability: Math.fround(entry.probability) }));
        expect(float32(prediction.topK as { classIndex: number; label: string; probability: number }[])).toEqual(
          float32(await expectedTopK(image, 4)),
        );
      }
    } finally {
      await service.clear();
    }
  });

  it('leaves no tensor behind over repeated predictions, and frees the folded model on clear', async () => {
    const { service } = countingService();
    const imageBase64 = stripesPng(16).toString('base64');
    await service.predict({ checkpointId, imageBase64 });
    const loaded = tf.memory().numTensors;
    for (let prediction = 0; prediction < 20; prediction++) await service.predict({ checkpointId, imageBase64 });
    expect(tf.memory().numTensors).toBe(loaded);
    const dispose = vi.spyOn(InferenceModel.prototype, 'dispose');
    await service.clear();
    expect(dispose).toHaveBeenCalledTimes(1);
    const folded = dispose.mock.contexts[0] as InferenceModel;
    dispose.mockRestore();
    // ResNet-18's folded model: 20 convolutions (17 and 3 shortcuts), each a kernel and a bias, and the linear layer's
    // kernel and bias; none where the whole network runs in oneDNN's addon, which dispose frees.
    expect(loaded - tf.memory().numTensors).toBe(folded.native ? 0 : 20 * 2 + 2);
    const images = tf.zeros<tf.Rank.R4>([1, 32, 32, 3]);
    expect(() => folded.predict(images)).toThrow('This InferenceModel has been disposed.');
    images.dispose();
  });
});

describe('warm predictions, and targets that change under them', () => {
  const PROMOTE = `mutation($input: PromoteCheckpointInput!) { promoteCheckpoint(input: $input) { id } }`;
  const SET_ALIAS = `mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { alias } }`;
  /** Version ids of model 'tiny' by number, and their checkpoints: epochs 2 and 3 of the run, the trained weights. */
  const versions = new Map<number, string>();
  const versionCheckpoints = new Map<number, string>();
  const imageBase64 = stripesPng(16).toString('base64');

  beforeAll(async () => {
    const { prisma, artifacts } = test.api.services;
    const { runId } = await prisma.checkpoint.findUniqueOrThrow({ where: { id: checkpointId } });
    for (const [version, aliases] of [
      [1, ['production']],
      [2, ['staging']],
    ] as const) {
      // Promotion copies the checkpoint within the artifact store: these are in it, unlike the trained one.
      const location = `runs/${runId}/checkpoints/epoch-000${version + 1}`;
      await fs.cp(checkpointDirectory, artifacts.resolve(location), { recursive: true });
      const { id } = await prisma.checkpoint.create({
        data: { runId, epoch: version + 1, sizeBytes: 1n, sha256: '0'.repeat(64), location },
      });
      const promoted = await test.execute<{ promoteCheckpoint: { id: string } }>(PROMOTE, {
        input: { checkpointId: id, aliases },
      });
      expect(promoted.errors).toBeUndefined();
      versions.set(version, promoted.data!.promoteCheckpoint.id);
      versionCheckpoints.set(version, id);
    }
  });

  /**
   * A service of its own whose database calls are listed: Prisma's model methods as 'model.method', raw statements as
   * '$queryRaw', and the checkpoint lookup as 'checkpoints.findAvailable'.
   */
  function listingService() {
    const calls: string[] = [];
    const { prisma, checkpoints, artifacts, system } = test.api.services;
    const listed = <T extends object>(object: T, prefix: string): T =>
      new Proxy(object, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls.push(`${prefix}${String(property)}`);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    const listedPrisma = new Proxy(prisma, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property === '$queryRaw') {
          return (...args: unknown[]) => {
            calls.push('$queryRaw');
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        if (typeof property === 'string' && !property.startsWith('$') && typeof value === 'object' && value !== null) {
          return listed(value, `${property}.`);
        }
        return value;
      },
    });
    const service = new PredictionService(
      listedPrisma,
      listed(checkpoints, 'checkpoints.'),
      artifacts,
      () => system.backend(),
      decoderNeverUsed(),
      { cacheSize: 2, maxImageBytes: 1024 * 1024, maxImagePixels: 50_000_000 },
    );
    return { service, calls };
  }

  it('stores a warm prediction with one statement, the row Prisma reads back', async () => {
    const { service, calls } = listingService();
    try {
      await service.predict({ modelName: 'tiny', imageBase64 });
      expect(calls).toEqual(['modelVersion.findFirst', '$queryRaw']);
      calls.length = 0;
      const warm = await service.predict({ modelName: 'tiny', imageBase64, topK: 2 });
      expect(calls).toEqual(['$queryRaw']);
      expect(warm).toEqual(await test.api.services.prisma.prediction.findUnique({ where: { id: warm.id } }));
      expect(warm).toMatchObject({
        checkpointId: versionCheckpoints.get(1),
        modelVersionId: versions.get(1),
        cached: true,
      });
      expect(warm.createdAt).toBeInstanceOf(Date);
      // The database keeps float32 probabilities as doubles.
      type Entry = { classIndex: number; label: string; probability: number };
      const float32 = (entries: readonly Entry[]) =>
        entries.map((entry) => ({ ...entry, probability: Math.fround(entry.probability) }));
      expect(float32(warm.topK as Entry[])).toEqual(float32(await expectedTopK(stripesPng(16), 2)));

      calls.length = 0;
      await service.predict({ checkpointId, imageBase64 });
      await service.predict({ checkpointId, imageBase64 });
      expect(calls).toEqual(['checkpoints.findAvailable', '$queryRaw', '$queryRaw']);
    } finally {
      await service.clear();
    }
  });

  it('records the version an alias points at when the prediction is stored, after the alias moved', async () => {
    const { service, calls } = listingService();
    try {
      expect((await service.predict({ modelName: 'tiny', alias: 'production', imageBase64 })).modelVersionId).toBe(
        versions.get(1),
      );
      const ofFirst = () => test.api.services.prisma.prediction.count({ where: { modelVersionId: versions.get(1) } });
      const storedWithFirst = await ofFirst();
      const moved = await test.execute(SET_ALIAS, { input: { modelName: 'tiny', alias: 'production', version: 2 } });
      expect(moved.errors).toBeUndefined();
      calls.length = 0;
      const after = await service.predict({ modelName: 'tiny', alias: 'production', imageBase64 });
      expect(after).toMatchObject({ modelVersionId: versions.get(2), checkpointId: versionCheckpoints.get(2) });
      // The kept target failed the store, which stored nothing; resolved again, the prediction was made again.
      expect(calls).toEqual(['$queryRaw', 'modelVersion.findFirst', '$queryRaw']);
      expect(await ofFirst()).toBe(storedWithFirst);
    } finally {
      await test.execute(SET_ALIAS, { input: { modelName: 'tiny', alias: 'production', version: 1 } });
      await service.clear();
    }
  });

  it('refuses a checkpoint pruned since its last prediction, and stores nothing', async () => {
    const { prisma } = test.api.services;
    const { service } = listingService();
    const secondCheckpointId = versionCheckpoints.get(2)!;
    try {
      await service.predict({ checkpointId: secondCheckpointId, imageBase64 });
      const stored = await prisma.prediction.count({ where: { checkpointId: secondCheckpointId } });
      await prisma.checkpoint.update({ where: { id: secondCheckpointId }, data: { prunedAt: new Date() } });
      const refused = service.predict({ checkpointId: secondCheckpointId, imageBase64 });
      await expect(refused).rejects.toThrow(`Checkpoint ${secondCheckpointId} (epoch 3) was pruned`);
      await expect(refused).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
      expect(await prisma.prediction.count({ where: { checkpointId: secondCheckpointId } })).toBe(stored);
    } finally {
      await prisma.checkpoint.update({ where: { id: secondCheckpointId }, data: { prunedAt: null } });
      await service.clear();
    }
  });

  it('answers CONFLICT when the target no longer holds on every attempt, and stores nothing', async () => {
    const { prisma, checkpoints, artifacts, system } = test.api.services;
    const stored = await prisma.prediction.count({ where: { checkpointId } });
    let lookups = 0;
    // The lookup names the same files by another path than the row, as if the row changed after every lookup.
    const moving = {
      findAvailable: async (id: string) => {
        lookups++;
        return { ...(await checkpoints.findAvailable(id)), location: `${checkpointDirectory}/.` };
      },
    } as unknown as typeof checkpoints;
    const service = new PredictionService(prisma, moving, artifacts, () => system.backend(), decoderNeverUsed(), {
      cacheSize: 2,
      maxImageBytes: 1024 * 1024,
      maxImagePixels: 50_000_000,
    });
    try {
      await expect(service.predict({ checkpointId, imageBase64 })).rejects.toMatchObject({
        message: `Checkpoint ${checkpointId} changed during each of 3 attempts to predict with it; try again.`,
        extensions: { code: 'CONFLICT' },
      });
      expect(lookups).toBe(3);
      expect(await prisma.prediction.count({ where: { checkpointId } })).toBe(stored);
    } finally {
      await service.clear();
    }
  });
});

function decoderNeverUsed(): ImageDecoder {
  return { decode: () => Promise.reject(new Error('Expected 16x16 images to be decoded inline.')) };
}
