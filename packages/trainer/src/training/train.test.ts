import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ResNetBatchNormalization, buildResNet } from '@resnet-lab/resnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jpegJs from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError, makeSyntheticDataset, type DatasetSplits, type ImageDataset } from '../data/index.js';
import { loadCheckpoint } from './checkpoint.js';
import { predictImages } from './predict-images.js';
import { TrainConfigError, type TrainConfigInput } from './train-config.js';
import { train } from './train.js';
import type { EpochEvent, TrainingEvent } from './training-events.js';
import { relativeDifference } from '../../test-support/relative-difference.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'train-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** 16x16 images keep a step cheap; the task stays the synthetic one (distinct patterns under noise). */
const smallData: DatasetSplits = makeSyntheticDataset({
  classes: 4,
  trainCount: 256,
  testCount: 64,
  imageSize: 16,
  seed: 1,
});

const tiny: TrainConfigInput = {
  data: 'synthetic',
  arch: 'resnet18',
  width: 1 / 16,
  epochs: 2,
  batchSize: 32,
  learningRate: 0.05,
  schedule: 'constant',
  seed: 3,
  backend: 'wasm',
};

async function weightsOf(checkpointDirectory: string): Promise<Float32Array[]> {
  const checkpoint = await loadCheckpoint(checkpointDirectory);
  const weights = checkpoint.model.getWeights().map((weight) => weight.dataSync() as Float32Array);
  const buffers = [...checkpoint.momentumBuffers.values()].map((buffer) => buffer.dataSync() as Float32Array);
  checkpoint.model.dispose();
  checkpoint.momentumBuffers.forEach((buffer) => buffer.dispose());
  return [...weights, ...buffers];
}

function maxRelativeDifference(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((values, index) => relativeDifference(values, b[index]!)));
}

describe('train', () => {
  it('learns an easy synthetic task to high test accuracy and reports every batch and epoch', async () => {
    const events: TrainingEvent[] = [];
    const outDir = path.join(root, 'learn');
    const data = makeSyntheticDataset({ classes: 4, trainCount: 512, testCount: 128, imageSize: 16, seed: 2 });
    const result = await train(
      { ...tiny, epochs: 4, width: 1 / 8, learningRate: 0.05, schedule: 'cosine' },
      { outDir, dataset: data, onEvent: (event) => events.push(event) },
    );

    expect(result.status).toBe('completed');
    expect(result.epochsCompleted).toBe(4);
    expect(result.bestTestAccuracy).toBeGreaterThanOrEqual(0.9);
    const batches = events.filter((event) => event.kind === 'batch');
    expect(batches).toHaveLength(4 * 16);
    expect(batches[0]).toMatchObject({ epoch: 1, batch: 1, batches: 16, backend: { name: 'wasm' } });
    const epochs = events.filter((event): event is EpochEvent => event.kind === 'epoch');
    expect(epochs.map((event) => event.epoch)).toEqual([1, 2, 3, 4]);
    for (const event of epochs) {
      expect(event.backend.name).toBe('wasm');
      expect(event.imagesPerSecond).toBeGreaterThan(0);
      expect(event.testAccuracy).not.toBeNull();
      // Batches report the epoch's throughput so far, so the last one reports the epoch's own figure, not its step's.
      const last = batches.filter((batch) => batch.epoch === event.epoch).at(-1)!;
      expect(last.imagesPerSecond).toBe(event.imagesPerSecond);
    }
    expect(epochs.at(-1)!.trainLoss).toBeLessThan(epochs[0]!.trainLoss);
    const lines = (await fs.readFile(path.join(outDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { epoch: number }).epoch)).toEqual([1, 2, 3, 4]);

    // The best checkpoint classifies test images given as PNG and JPEG files at twice the size.
    const checkpoint = await loadCheckpoint(result.bestCheckpoint!);
    // Marked again on loading, as buildResNet marks them: the stem's batch norm and each block's first.
    const reluFollows = (model: tf.LayersModel) =>
      model.layers
        .filter((layer) => layer instanceof ResNetBatchNormalization && layer.reluFollows)
        .map((layer) => layer.name);
    const built = buildResNet({ arch: 'resnet18', width: 1 / 8 });
    expect(reluFollows(checkpoint.model)).toEqual(reluFollows(built));
    expect(reluFollows(checkpoint.model)).toHaveLength(9);
    built.dispose();
    const { classNames, normalization } = checkpoint.metadata;
    const samples = Array.from({ length: 16 }, (_, index) => index);
    const inputs = samples.flatMap((index) => {
      const { png, jpeg } = encodeUpscaled(data.test, index, 2);
      return [
        { source: `test-${index}.png`, bytes: png },
        { source: `test-${index}.jpg`, bytes: jpeg },
      ];
    });
    const predictions = await predictImages({ model: checkpoint.model, classNames, normalization }, inputs, 2);
    const correct = predictions.filter((prediction, row) => {
      const label = data.test.labels[samples[Math.floor(row / 2)]!]!;
      return prediction.top[0]!.label === label && prediction.top[0]!.className === classNames[label];
    });
    expect(correct.length).toBeGreaterThanOrEqual(28);
    for (const { top } of predictions) {
      expect(top[0]!.probability).toBeGreaterThanOrEqual(top[1]!.probability);
      expect(top[0]!.probability + top[1]!.probability).toBeLessThanOrEqual(1 + 1e-6);
    }
    checkpoint.model.dispose();
    checkpoint.momentumBuffers.forEach((buffer) => buffer.dispose());
  });

  it('continues a resumed run exactly: 1 epoch + resume 1 epoch equals 2 epochs', async () => {
    const epochEvents: EpochEvent[] = [];
    const straight = await train(tiny, {
      outDir: path.join(root, 'straight'),
      dataset: smallData,
      keepEpochCheckpoints: true,
      onEvent: (event) => event.kind === 'epoch' && epochEvents.push(event),
    });
    const first = await train({ ...tiny, epochs: 1 }, { outDir: path.join(root, 'first'), dataset: smallData });
    const resumed = await train(tiny, {
      outDir: path.join(root, 'resumed'),
      dataset: smallData,
      resumeFrom: first.lastCheckpoint!,
    });

    expect(resumed.epochsCompleted).toBe(2);
    expect(resumed.history).toHaveLength(2);
    expect(resumed.history[1]!.trainLoss).toBeCloseTo(straight.history[1]!.trainLoss, 5);
    expect(resumed.history[1]!.testAccuracy).toBe(straight.history[1]!.testAccuracy);
    expect(
      maxRelativeDifference(await weightsOf(resumed.lastCheckpoint!), await weightsOf(straight.lastCheckpoint!)),
    ).toBeLessThan(1e-5);
    // Without the restored momentum buffers the second epoch would differ.
    const metadata = (await loadCheckpoint(resumed.lastCheckpoint!)).metadata;
    expect(metadata.epoch).toBe(2);
    expect(metadata.classNames).toEqual(smallData.train.classNames);

    // Kept per-epoch checkpoints are not overwritten by later epochs: epoch 1's equals the 1-epoch run's.
    expect(epochEvents.map((event) => event.epochCheckpoint)).toEqual([
      path.join(root, 'straight', 'checkpoints', 'epoch-0001'),
      path.join(root, 'straight', 'checkpoints', 'epoch-0002'),
    ]);
    expect((await loadCheckpoint(epochEvents[0]!.epochCheckpoint!)).metadata.epoch).toBe(1);
    // The event names the weights file's hash, as the file on disk has it.
    const epochFiles = await fs.readdir(epochEvents[0]!.epochCheckpoint!);
    const weightsFile = epochFiles.find((name) => name.endsWith('.bin'))!;
    const weights = await fs.readFile(path.join(epochEvents[0]!.epochCheckpoint!, weightsFile));
    expect(epochEvents[0]!.weightsSha256).toBe(createHash('sha256').update(weights).digest('hex'));
    expect(
      maxRelativeDifference(await weightsOf(epochEvents[0]!.epochCheckpoint!), await weightsOf(first.lastCheckpoint!)),
    ).toBeLessThan(1e-5);
  });

  it.each(['pytorch-default', 'torchvision'] as const)(
    "starts from buildResNet's weights for the run's seed and init (%s)",
    async (init) => {
      // A learning rate of 1e-9 leaves the trained weights at their initial values to float precision.
      const result = await train(
        { ...tiny, epochs: 1, learningRate: 1e-9, init },
        { outDir: path.join(root, `init-${init}`), dataset: smallData },
      );
      const checkpoint = await loadCheckpoint(result.lastCheckpoint!);
      expect(checkpoint.metadata.config?.init).toBe(init);
      const built = buildResNet(checkpoint.metadata.model, { seed: tiny.seed!, init });
      const other = buildResNet(checkpoint.metadata.model, {
        seed: tiny.seed!,
        init: init === 'torchvision' ? 'pytorch-default' : 'torchvision',
      });
      // All trainable weights in one vector: batch norm's biases alone are zero, so per tensor they have no norm.
      const trainable = (model: tf.LayersModel) =>
        Float32Array.from(model.trainableWeights.flatMap((weight) => [...(weight.read().dataSync() as Float32Array)]));
      const trained = trainable(checkpoint.model);
      expect(relativeDifference(trained, trainable(built))).toBeLessThan(1e-6);
      expect(relativeDifference(trained, trainable(other))).toBeGreaterThan(0.5);
      [checkpoint.model, built, other].forEach((model) => model.dispose());
      tf.dispose([...checkpoint.momentumBuffers.values()]);
    },
  );

  it('stops at a batch boundary when cancelled, keeping the last complete checkpoint', async () => {
    const controller = new AbortController();
    const outDir = path.join(root, 'cancelled');
    const events: TrainingEvent[] = [];
    const result = await train(
      { ...tiny, epochs: 3 },
      {
        outDir,
        dataset: smallData,
        signal: controller.signal,
        onEvent: (event) => {
          events.push(event);
          if (event.kind === 'batch' && event.epoch === 2 && event.batch === 3) controller.abort();
        },
      },
    );

    expect(result.status).toBe('cancelled');
    expect(result.epochsCompleted).toBe(1);
    expect(events.filter((event) => event.kind === 'batch').length).toBe(8 + 3);
    expect(events.some((event) => event.kind === 'epoch' && event.epoch === 2)).toBe(false);
    const checkpoint = await loadCheckpoint(result.lastCheckpoint!);
    expect(checkpoint.metadata.epoch).toBe(1);
    checkpoint.model.dispose();
    checkpoint.momentumBuffers.forEach((buffer) => buffer.dispose());
  });

  it('holds no more tensors from epoch to epoch', async () => {
    const tensorsAtEpochEnd: number[] = [];
    await train(
      { ...tiny, epochs: 3 },
      {
        outDir: path.join(root, 'leak'),
        dataset: smallData,
        onEvent: (event) => {
          if (event.kind === 'epoch') tensorsAtEpochEnd.push(tf.memory().numTensors);
        },
      },
    );
    expect(tensorsAtEpochEnd).toHaveLength(3);
    expect(new Set(tensorsAtEpochEnd).size).toBe(1);
  });

  it('rejects invalid hyperparameters and unreadable data before training', async () => {
    await expect(train({ ...tiny, momentum: 1.5 }, { outDir: path.join(root, 'bad') })).rejects.toThrow(
      new TrainConfigError('momentum', 'Expected momentum to be a number in [0, 1), got 1.5.'),
    );
    const missing = path.join(root, 'no-such-dataset');
    await expect(train({ ...tiny, data: missing }, { outDir: path.join(root, 'bad') })).rejects.toBeInstanceOf(
      DatasetError,
    );
  });
});

/** Image `index` of `dataset`, upscaled by pixel repetition, as PNG and JPEG file bytes. */
function encodeUpscaled(dataset: ImageDataset, index: number, factor: number): { png: Uint8Array; jpeg: Uint8Array } {
  const width = dataset.width * factor;
  const height = dataset.height * factor;
  const rgba = Buffer.alloc(width * height * 4, 255);
  const source = dataset.images.subarray(index * dataset.width * dataset.height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (Math.floor(y / factor) * dataset.width + Math.floor(x / factor)) * 3;
      rgba.set(source.subarray(from, from + 3), (y * width + x) * 4);
    }
  }
  const png = new PNG({ width, height });
  rgba.copy(png.data);
  return { png: PNG.sync.write(png), jpeg: jpegJs.encode({ data: rgba, width, height }, 95).data };
}
