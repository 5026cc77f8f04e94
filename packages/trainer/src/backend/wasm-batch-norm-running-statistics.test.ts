import * as tf from '@tensorflow/tfjs';
import {
  BATCH_NORM_RUNNING_STATISTICS,
  ResNetBatchNormalization,
  hasBatchNormRunningStatisticsKernel,
} from '@resnet-lab/resnet';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniformValues } from '../../test-support/convolution-cases.js';
import { seededRandom } from '../data/random.js';
import { useBackend } from './compute-backend.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

type Shape = [number, number, number, number];

/**
 * The running mean and variance of a batch norm layer after `steps` training calls on `shape`, each on new inputs
 * around `center`, starting from running statistics away from the defaults.
 */
async function runningStatistics(shape: Shape, steps: number, center: number): Promise<Float32Array[]> {
  const random = seededRandom(shape[3] * 100 + steps);
  const channels = shape[3];
  const layer = new ResNetBatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
  layer.build(shape);
  const [gamma, beta] = [1, 0].map((offset) => uniformValues(random, channels).map((value) => offset + value));
  const [mean, variance] = [0.3, 2].map((offset) => uniformValues(random, channels).map((value) => offset + value));
  const weights = [gamma!, beta!, mean!, variance!].map((values) => tf.tensor1d(values));
  layer.setWeights(weights);
  tf.dispose(weights);
  for (let step = 0; step < steps; step++) {
    const x = uniformValues(random, tf.util.sizeFromShape(shape)).map((value) => center + 3 * value);
    tf.dispose(tf.tidy(() => layer.apply(tf.tensor4d(x, shape), { training: true }) as tf.Tensor));
  }
  const [, , movingMean, movingVariance] = layer.getWeights();
  const values = [(await movingMean!.data()) as Float32Array, (await movingVariance!.data()) as Float32Array];
  for (const weight of layer.weights) weight.dispose();
  return values;
}

beforeAll(async () => {
  await useBackend('wasm');
});

afterEach(() => {
  registerWasmTrainingKernels();
});

describe('BATCH_NORM_RUNNING_STATISTICS on wasm', () => {
  it('is registered for wasm by registerWasmTrainingKernels, and not for cpu', () => {
    expect(hasBatchNormRunningStatisticsKernel('wasm')).toBe(true);
    expect(hasBatchNormRunningStatisticsKernel('cpu')).toBe(false);
  });

  // Below and above BATCH_NORM_KERNEL_MIN_ELEMENTS (the layer's own kernels, where oneDNN is active), channels
  // filling vectors and not, one value a channel (no Bessel correction).
  it.each([
    ['4 channels', [2, 4, 4, 4], 3, 0],
    ['64 channels, inputs far from zero', [4, 8, 8, 64], 4, 50],
    ['20 channels', [8, 16, 16, 20], 2, -1],
    ['one value a channel', [1, 1, 1, 8], 2, 0],
  ] as const)('gives the composition’s bits: %s', async (_, shape, steps, center) => {
    await tf.setBackend('wasm');
    const byKernel = await runningStatistics([...shape], steps, center);
    tf.unregisterKernel(BATCH_NORM_RUNNING_STATISTICS, 'wasm');
    expect(hasBatchNormRunningStatisticsKernel('wasm')).toBe(false);
    expect(byKernel).toEqual(await runningStatistics([...shape], steps, center));
  });

  it('is one kernel per training call in place of seven, and leaks no tensor or wasm buffer', async () => {
    await tf.setBackend('wasm');
    const shape: Shape = [2, 4, 4, 8];
    const kernels = async () => {
      const profile = await tf.profile(() => runningStatistics(shape, 1, 0));
      return profile.kernels.map((kernel) => kernel.name);
    };
    const withKernel = await kernels();
    tf.unregisterKernel(BATCH_NORM_RUNNING_STATISTICS, 'wasm');
    const composed = await kernels();
    expect(withKernel.filter((name) => name === BATCH_NORM_RUNNING_STATISTICS)).toHaveLength(1);
    expect(composed.length - withKernel.length).toBe(6);
    registerWasmTrainingKernels();
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    await runningStatistics(shape, 3, 0);
    expect({ tensors: tf.memory().numTensors - tensors, buffers: tf.backend().numDataIds() - buffers }).toEqual({
      tensors: 0,
      buffers: 0,
    });
  });

  it('refuses statistics of another channel count', async () => {
    await tf.setBackend('wasm');
    const [four, five] = [tf.ones([4]), tf.ones([5])];
    expect(() =>
      tf
        .engine()
        .runKernel(
          BATCH_NORM_RUNNING_STATISTICS,
          { movingMean: four, movingVariance: four, mean: five, variance: four },
          { momentum: 0.9, besselCorrection: 1 },
        ),
    ).toThrow(`Expected ${BATCH_NORM_RUNNING_STATISTICS}'s inputs to be float32 [4], got float32 [5].`);
    tf.dispose([four, five]);
  });
});
