import * as tf from '@tensorflow/tfjs';
import {
  BATCH_NORM_KERNEL_MIN_ELEMENTS,
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  ResNetBatchNormalization,
  buildResNet,
  hasBatchNormTrainingKernels,
} from '@resnet-lab/resnet';
import { beforeAll, describe, expect, it } from 'vitest';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { uniformValues, valuesOn } from '../../test-support/convolution-cases.js';
import { relativeDifference } from '../../test-support/relative-difference.js';
import { seededRandom } from '../data/random.js';
import { SgdOptimizer } from '../training/sgd.js';
import { namedParameters, trainStep } from '../training/train-step.js';
import { useBackend } from './compute-backend.js';
import { unregisterOneDnnKernels, useOneDnnKernels } from './onednn-kernels.js';

/** Where g++, libdnnl-dev and Node's headers are installed, `npm install` builds the addon (`.ci/run` installs them). */
const BUILDABLE = missingBuildNeeds().length === 0;

/**
 * Largest relative difference from the cpu backend's composition of tfjs ops. Both are float32 with a different
 * order of summation; a wrong term (a missing shift, the unbiased variance, a gradient without its mean terms) is off
 * by 1e-2 or more.
 */
const TOLERANCE = 1e-5;

type Shape = [number, number, number, number];

/**
 * One batch norm layer in training on `shape`: [output, moving mean, moving variance after the step, dx, dGamma,
 * dBeta] for the loss sum(output * upstream), with the given input values around `center`.
 */
function trainingStep(shape: Shape, seed: number, center: number, spread: number): () => tf.Tensor[] {
  const random = seededRandom(seed);
  const channels = shape[3];
  const x = uniformValues(random, tf.util.sizeFromShape(shape)).map((value) => center + spread * value);
  const upstream = uniformValues(random, x.length);
  const weights = [1.5, 0.1, 0.2, 1.3].map((offset) => uniformValues(random, channels).map((value) => offset + value));
  return () => {
    const layer = new ResNetBatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    layer.build(shape);
    layer.setWeights(weights.map((values) => tf.tensor1d(values)));
    const input = tf.tensor4d(x, shape);
    const dy = tf.tensor4d(upstream, shape);
    const loss = (value: tf.Tensor) => tf.sum(tf.mul(layer.apply(value, { training: true }) as tf.Tensor, dy));
    const output = layer.apply(input, { training: true }) as tf.Tensor;
    const [, , movingMean, movingVariance] = layer.getWeights().map((weight) => tf.clone(weight));
    const dx = tf.grad(loss)(input);
    const { grads } = tf.variableGrads(() => loss(input) as tf.Scalar);
    const [dGamma, dBeta] = layer.trainableWeights.map((weight) => grads[(weight.read() as tf.Variable).name]!);
    for (const weight of layer.weights) weight.dispose();
    return [output, movingMean!, movingVariance!, dx, dGamma!, dBeta!];
  };
}

const NAMES = ['output', 'moving mean', 'moving variance', 'dx', 'dGamma', 'dBeta'];

beforeAll(async () => {
  await useBackend('wasm');
  unregisterOneDnnKernels();
});

describe('batch norm training kernels', () => {
  it('are registered for wasm only while oneDNN computes, and removed with its other kernels', () => {
    const active = useOneDnnKernels({}).active;
    expect(hasBatchNormTrainingKernels('wasm')).toBe(active);
    expect(hasBatchNormTrainingKernels('cpu')).toBe(false);
    unregisterOneDnnKernels();
    expect(hasBatchNormTrainingKernels('wasm')).toBe(false);
  });
});

describe.runIf(BUILDABLE)('batch norm training by the native addon', () => {
  beforeAll(() => {
    expect(useOneDnnKernels({}).active).toBe(true);
  });

  // Channel counts that fill whole vectors (16, 64) and that leave a remainder (3, 20); each at least
  // BATCH_NORM_KERNEL_MIN_ELEMENTS elements.
  it.each([
    ['16 channels', [4, 16, 16, 16], 0, 2],
    ['64 channels', [8, 8, 8, 64], 0.5, 3],
    ['3 channels', [8, 32, 32, 3], -1, 1],
    ['20 channels, one image', [1, 32, 32, 20], 0, 1],
    ['inputs far from zero', [4, 16, 16, 32], 100, 2],
  ] as const)(
    'gives the output, running statistics and gradients of the cpu backend: %s',
    async (_, shape, center, spread) => {
      const compute = trainingStep([...shape], shape[3] * 10 + shape[0], center, spread);
      const wasm = await valuesOn('wasm', compute);
      const cpu = await valuesOn('cpu', compute);
      const differences = NAMES.map((name, index) => [name, relativeDifference(wasm[index]!, cpu[index]!)] as const);
      for (const [name, difference] of differences) expect(difference, name).toBeLessThan(TOLERANCE);
    },
  );

  // At the threshold: three training calls (the output, then one for each gradient), two backward passes. Below it
  // the layer composes tfjs ops.
  it.each([
    ['at', [2, 16, 16, 32], 3, 2],
    ['below', [2, 16, 16, 31], 0, 0],
  ] as const)(
    'is what the layer runs in training on wasm %s BATCH_NORM_KERNEL_MIN_ELEMENTS, and leaks no tensor or wasm buffer',
    async (_, shape, forwardCalls, backwardCalls) => {
      expect(tf.util.sizeFromShape([...shape]) - BATCH_NORM_KERNEL_MIN_ELEMENTS).toBe(forwardCalls > 0 ? 0 : -512);
      await tf.setBackend('wasm');
      const compute = trainingStep([...shape], 5, 0, 1);
      const profile = await tf.profile(() => {
        tf.dispose(tf.tidy(compute));
      });
      const kernelCalls = profile.kernels.map((kernel) => kernel.name);
      expect(kernelCalls.filter((name) => name === BATCH_NORM_TRAINING)).toHaveLength(forwardCalls);
      expect(kernelCalls.filter((name) => name === BATCH_NORM_TRAINING_GRAD)).toHaveLength(backwardCalls);
      const tensors = tf.memory().numTensors;
      const buffers = tf.backend().numDataIds();
      for (let step = 0; step < 3; step++) tf.dispose(tf.tidy(compute));
      expect({ tensors: tf.memory().numTensors - tensors, buffers: tf.backend().numDataIds() - buffers }).toEqual({
        tensors: 0,
        buffers: 0,
      });
    },
  );

  it('ReLUs the output where a ReLU follows, as Relu does, and that ReLU hands back the same data', async () => {
    await tf.setBackend('wasm');
    const shape: Shape = [4, 16, 16, 16];
    const random = seededRandom(7);
    const x = uniformValues(random, tf.util.sizeFromShape(shape));
    // A NaN makes its channel NaN, which a ReLU keeps.
    x[3] = NaN;
    const layer = new ResNetBatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    layer.build(shape);
    const input = tf.tensor4d(x, shape);
    const normalized = layer.apply(input, { training: true }) as tf.Tensor;
    const expected = tf.relu(normalized);
    layer.reluFollows = true;
    const fused = layer.apply(input, { training: true }) as tf.Tensor;
    const buffers = tf.backend().numDataIds();
    const reluOfFused = tf.relu(fused);
    expect(tf.backend().numDataIds()).toBe(buffers);
    const exactly = (values: ArrayLike<number>) => Array.from(values, (value) => (Object.is(value, -0) ? '-0' : value));
    const expectedValues = exactly(await expected.data());
    expect(expectedValues.filter((value) => value === 0).length).toBeGreaterThan(x.length / 3);
    expect(expectedValues.filter((value) => Number.isNaN(value))).toHaveLength(x.length / 16);
    expect(exactly(await fused.data())).toEqual(expectedValues);
    expect(exactly(await reluOfFused.data())).toEqual(expectedValues);
    tf.dispose([input, normalized, expected, fused, reluOfFused]);
    for (const weight of layer.weights) weight.dispose();
  });

  it('trains a ResNet to the same bits with the ReLUs in its batch norms as without', async () => {
    await tf.setBackend('wasm');
    // At width 1/4, layer4's batch norms reach BATCH_NORM_KERNEL_MIN_ELEMENTS from batch 8 (8 x 4 x 4 x 128).
    const batchSize = 8;
    const random = seededRandom(11);
    const pixels = uniformValues(random, batchSize * 32 * 32 * 3);
    const labels = Int32Array.from({ length: batchSize }, () => Math.floor(random() * 10));
    const batch = { pixels, labels, size: 32, classes: 10, learningRate: 0.1 };
    const train = async (fused: boolean) => {
      const model = buildResNet({ arch: 'resnet18', width: 0.25 }, { seed: 3 });
      const batchNorms = model.layers.filter((layer) => layer instanceof ResNetBatchNormalization);
      expect(batchNorms.filter((layer) => layer.reluFollows)).toHaveLength(9);
      if (!fused) for (const layer of batchNorms) layer.reluFollows = false;
      const parameters = namedParameters(model);
      const optimizer = new SgdOptimizer({ momentum: 0.9, weightDecay: 5e-4, nesterov: false });
      // The Relu kernel registered now (oneDNN's), wrapped to count the outputs it computed rather than shared.
      const relu = tf.getKernel('Relu', 'wasm');
      let reluCalls = 0;
      tf.unregisterKernel('Relu', 'wasm');
      tf.registerKernel({
        ...relu,
        kernelFunc: (args) => {
          const output = relu.kernelFunc(args) as tf.TensorInfo;
          if (output.dataId !== args.inputs['x']!.dataId) reluCalls += 1;
          return output;
        },
      });
      try {
        for (let step = 0; step < 3; step++) await trainStep(model, parameters, optimizer, batch);
      } finally {
        tf.unregisterKernel('Relu', 'wasm');
        tf.registerKernel(relu);
      }
      const weights = await Promise.all(model.getWeights().map((weight) => weight.data()));
      optimizer.dispose();
      model.dispose();
      return { weights, reluCalls };
    };
    const fused = await train(true);
    const composed = await train(false);
    expect(fused.weights).toEqual(composed.weights);
    // 17 ReLUs a step; the 9 after a batch norm hand back its output.
    expect(composed.reluCalls).toBe(3 * 17);
    expect(fused.reluCalls).toBe(3 * 8);
  });
});
