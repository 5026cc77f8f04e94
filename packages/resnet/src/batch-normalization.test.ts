import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResNetBatchNormalization } from './batch-normalization.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SHAPE: [number, number, number, number] = [4, 5, 6, 3];

/** The stock tfjs-layers batch norm and this one, with equal (non-default) weights, applied to the same input. */
function pair() {
  const stock = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
  const ours = new ResNetBatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
  stock.build(SHAPE);
  ours.build(SHAPE);
  const weights = [
    tf.tensor1d([1.5, 0.5, -2]),
    tf.tensor1d([0.1, -0.3, 0.7]),
    tf.tensor1d([0.2, 0.4, -0.1]),
    tf.tensor1d([1.3, 0.8, 2.1]),
  ];
  stock.setWeights(weights);
  ours.setWeights(weights);
  tf.dispose(weights);
  return { stock, ours };
}

function values(tensor: tf.Tensor): number[] {
  return Array.from(tensor.dataSync());
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tolerance: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const difference = tf.norm(tf.sub(actual, expected)).dataSync()[0]!;
  const norm = tf.norm(expected).dataSync()[0]!;
  expect(difference / norm).toBeLessThan(tolerance);
}

function sumOver(count: number, term: (index: number) => number): number {
  let sum = 0;
  for (let index = 0; index < count; index++) sum += term(index);
  return sum;
}

/** The largest absolute difference, relative to the largest expected magnitude. */
function largestRelativeError(actual: ArrayLike<number>, expected: Float64Array): number {
  let difference = 0;
  let magnitude = 0;
  expected.forEach((value, index) => {
    difference = Math.max(difference, Math.abs(actual[index]! - value));
    magnitude = Math.max(magnitude, Math.abs(value));
  });
  return difference / magnitude;
}

describe('ResNetBatchNormalization', () => {
  const x = tf.randomNormal(SHAPE, 2, 3, 'float32', 7);
  const upstream = tf.randomNormal(SHAPE, 0, 1, 'float32', 8);

  it('normalizes with batch statistics in training and running statistics in inference, as the stock layer', () => {
    const { stock, ours } = pair();
    expectClose(ours.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor, 1e-6);
    expectClose(ours.apply(x, { training: true }) as tf.Tensor, stock.apply(x, { training: true }) as tf.Tensor, 1e-6);
  });

  it('updates the running mean as the stock layer and the running variance with the unbiased variance, as PyTorch', () => {
    const { stock, ours } = pair();
    stock.apply(x, { training: true });
    ours.apply(x, { training: true });
    const [, , stockMean] = stock.getWeights();
    const [, , ourMean, ourVariance] = ours.getWeights();
    expectClose(ourMean!, stockMean!, 1e-6);
    // Independently, channel 0 (initial running mean 0.2, running variance 1.3, momentum 0.1 in PyTorch's terms):
    const channel = Float64Array.from(tf.slice(x, [0, 0, 0, 0], [4, 5, 6, 1]).dataSync());
    const count = channel.length;
    const mean = sumOver(count, (index) => channel[index]!) / count;
    const squares = sumOver(count, (index) => (channel[index]! - mean) ** 2);
    expect(values(ourMean!)[0]).toBeCloseTo(0.9 * 0.2 + 0.1 * mean, 5);
    // torch.var(unbiased=True): the sum of squares over n - 1 = 119, not over n = 120.
    expect(values(ourVariance!)[0]).toBeCloseTo(0.9 * 1.3 + 0.1 * (squares / (count - 1)), 5);
    expect(Math.abs(values(ourVariance!)[0]! - (0.9 * 1.3 + 0.1 * (squares / count)))).toBeGreaterThan(1e-3);
  });

  it('gives the stock layer gradients for input, scale and offset', () => {
    const { stock, ours } = pair();
    const gradients = (layer: tf.layers.Layer) => {
      const input = tf.variable(x);
      const variables = [input, ...layer.trainableWeights.map((weight) => weight.read() as tf.Variable)];
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, upstream)),
        variables,
      );
      value.dispose();
      input.dispose();
      // Input, gamma, beta.
      return variables.map((variable) => grads[variable.name]!);
    };
    const stockGradients = gradients(stock);
    const ourGradients = gradients(ours);
    expect(ourGradients).toHaveLength(3);
    ourGradients.forEach((gradient, index) => expectClose(gradient, stockGradients[index]!, 1e-4));
  });

  it('keeps float32 precision for inputs far from zero, as an affine form could lose it to cancellation', () => {
    // Channel means 100 times the spread: y = a * x + b and dx = a * dy + c * x + d subtract large, nearly equal
    // terms. Measured against float64: at most 6e-6 (y) and 5e-7 (dx) relative, as the centred form gives.
    const [batch, height, width] = [8, 6, 6];
    const channels = 2;
    const count = batch * height * width;
    const input = Float64Array.from({ length: count * channels }, (_, index) => 100 + Math.sin(index * 12.9898) * 1.7);
    const upstream = Float64Array.from({ length: count * channels }, (_, index) => Math.cos(index * 78.233));
    const gamma = [1.3, 0.7];
    const beta = [0.1, -0.2];
    const expectedY = new Float64Array(input.length);
    const expectedDx = new Float64Array(input.length);
    for (let channel = 0; channel < channels; channel++) {
      const at = (index: number) => index * channels + channel;
      const mean = sumOver(count, (index) => input[at(index)]!) / count;
      const variance = sumOver(count, (index) => (input[at(index)]! - mean) ** 2) / count;
      const inverseStd = 1 / Math.sqrt(variance + 1e-5);
      const xHat = (index: number) => (input[at(index)]! - mean) * inverseStd;
      const meanDy = sumOver(count, (index) => upstream[at(index)]!) / count;
      const meanDyXHat = sumOver(count, (index) => upstream[at(index)]! * xHat(index)) / count;
      for (let index = 0; index < count; index++) {
        expectedY[at(index)] = gamma[channel]! * xHat(index) + beta[channel]!;
        expectedDx[at(index)] =
          gamma[channel]! * inverseStd * (upstream[at(index)]! - meanDy - xHat(index) * meanDyXHat);
      }
    }
    const layer = new ResNetBatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    const shape: [number, number, number, number] = [batch, height, width, channels];
    layer.build(shape);
    layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.zeros([channels]), tf.ones([channels])]);
    const x = tf.tensor4d(Float32Array.from(input), shape);
    const dy = tf.tensor4d(Float32Array.from(upstream), shape);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t, { training: true }) as tf.Tensor, dy)))(x);
    expect(largestRelativeError(y.dataSync(), expectedY)).toBeLessThan(1e-5);
    expect(largestRelativeError(dx.dataSync(), expectedDx)).toBeLessThan(1e-6);
    tf.dispose([x, dy, y, dx]);
  });

  it('saves as the stock BatchNormalization, with the same weight names', () => {
    const { ours } = pair();
    expect(ours.getClassName()).toBe('BatchNormalization');
    expect(ours.weights.map((weight) => weight.originalName.split('/').at(-1))).toEqual([
      'gamma',
      'beta',
      'moving_mean',
      'moving_variance',
    ]);
    expect(ours.getConfig()).toMatchObject({ axis: -1, momentum: 0.9, epsilon: 1e-5, center: true, scale: true });
  });
});
