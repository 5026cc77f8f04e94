import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldBatchNorm } from './fold-batch-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('foldBatchNorm', () => {
  it('scales each output channel by gamma / sqrt(var + eps) and shifts it by beta - mean * that scale', () => {
    // A 1x1 kernel from 2 input channels to 2 output channels: [1, 1, 2, 2], the output channel last.
    const kernel = [1, 2, 3, 4];
    const batchNorm = { gamma: [2, -1], beta: [0.5, 1], movingMean: [1, -2], movingVariance: [3, 0] };
    const folded = foldBatchNorm(kernel, batchNorm, 1);
    // Channel 0: scale 2 / sqrt(3 + 1) = 1, bias 0.5 - 1 * 1 = -0.5. Channel 1: scale -1 / sqrt(0 + 1) = -1, bias
    // 1 - (-2) * (-1) = -1.
    expect(Array.from(folded.kernel)).toEqual([1, -2, 3, -4]);
    expect(Array.from(folded.bias)).toEqual([-0.5, -1]);
  });

  it('counts epsilon where the variance is small: 0.25 / sqrt(0 + 1/16) = 1, not infinity', () => {
    const folded = foldBatchNorm([3], { gamma: [0.25], beta: [0], movingMean: [2], movingVariance: [0] }, 1 / 16);
    expect(Array.from(folded.kernel)).toEqual([3]);
    expect(Array.from(folded.bias)).toEqual([-2]);
  });

  it("gives conv(x, W') + b' equal to the batch norm of conv(x, W) in inference mode", () => {
    const [inChannels, channels, epsilon] = [3, 5, 1e-5];
    const kernel = tf.randomNormal([3, 3, inChannels, channels], 0, 1, 'float32', 1);
    // Variances from 1e-6 to 1, where epsilon (1e-5) changes the scale from 3.3x to not at all.
    const batchNorm = {
      gamma: [0.5, -1.5, 2, 1, 0.1],
      beta: [0.3, -0.2, 0, 1.5, -1],
      movingMean: [1, -0.5, 0.25, 3, 0],
      movingVariance: [1e-6, 1e-5, 1e-3, 0.5, 1],
    };
    const x = tf.randomNormal<tf.Rank.R4>([2, 6, 6, inChannels], 0, 1, 'float32', 2);
    const expected = tf.tidy(() =>
      tf.batchNorm(
        tf.conv2d(x, kernel as tf.Tensor4D, 1, 'same'),
        batchNorm.movingMean,
        batchNorm.movingVariance,
        batchNorm.beta,
        batchNorm.gamma,
        epsilon,
      ),
    );
    const folded = foldBatchNorm(kernel.dataSync(), batchNorm, epsilon);
    const actual = tf.tidy(() =>
      tf.add(tf.conv2d(x, tf.tensor4d(folded.kernel, [3, 3, inChannels, channels]), 1, 'same'), folded.bias),
    );
    const relative = tf.tidy(() => tf.norm(tf.sub(actual, expected)).div(tf.norm(expected)).dataSync()[0]!);
    expect(relative).toBeLessThan(1e-6);
    tf.dispose([kernel, x, expected, actual]);
  });

  it('refuses weights of another length than gamma, naming the weight', () => {
    expect(() =>
      foldBatchNorm([1, 2], { gamma: [1, 1], beta: [0, 0], movingMean: [0], movingVariance: [1, 1] }, 1e-5),
    ).toThrow('Expected 2 values of movingMean (one per channel, as gamma), got 1.');
    expect(() =>
      foldBatchNorm([1, 2, 3], { gamma: [1, 1], beta: [0, 0], movingMean: [0, 0], movingVariance: [1, 1] }, 1e-5),
    ).toThrow("Expected the kernel's 3 values to be a multiple of the batch norm's 2 channels.");
  });
});
