import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../backend/index.js';
import { benchmarkKernels } from './benchmark-kernels.js';

describe('benchmarkKernels', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  let tensorsBefore: number;
  beforeAll(() => {
    tensorsBefore = tf.memory().numTensors;
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('times the three convolution kernels at each distinct shape of ResNet-18, and the classifier products', () => {
    const timings = benchmarkKernels({ model: { arch: 'resnet18', width: 1 / 16 }, batchSize: 2, repeats: 1 });
    const convShapes = [
      ['32x32x3 -> 32x32x4, 3x3 stride 1', 1],
      ['32x32x4 -> 32x32x4, 3x3 stride 1', 4],
      ['32x32x4 -> 16x16x8, 3x3 stride 2', 1],
      ['16x16x8 -> 16x16x8, 3x3 stride 1', 3],
      ['32x32x4 -> 16x16x8, 1x1 stride 2', 1],
      ['16x16x8 -> 8x8x16, 3x3 stride 2', 1],
      ['8x8x16 -> 8x8x16, 3x3 stride 1', 3],
      ['16x16x8 -> 8x8x16, 1x1 stride 2', 1],
      ['8x8x16 -> 4x4x32, 3x3 stride 2', 1],
      ['4x4x32 -> 4x4x32, 3x3 stride 1', 3],
      ['8x8x16 -> 4x4x32, 1x1 stride 2', 1],
    ] as const;
    expect(timings.map((timing) => [timing.kernel, timing.shape, timing.layers])).toEqual([
      ...convShapes.flatMap(([shape, layers]) =>
        (['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const).map((kernel) => [kernel, shape, layers]),
      ),
      ['MatMul', '[2, 32] x [32, 10]', 1],
      ['MatMul', '[2, 10] x [32, 10]^T', 1],
      ['MatMul', '[2, 32]^T x [2, 10]', 1],
    ]);
    // ResNet-18 has 20 convolutions: the stem, 16 in blocks and 3 projection shortcuts.
    expect(convShapes.reduce((total, [, layers]) => total + layers, 0)).toBe(20);
    for (const timing of timings) {
      expect(timing.milliseconds).toBeGreaterThan(0);
      expect(timing.gflops).toBeGreaterThan(0);
    }
  });
});
