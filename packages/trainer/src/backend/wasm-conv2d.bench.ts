// Speed of one ResNet convolution on wasm, forward and both gradients: npx vitest bench packages/trainer/src/backend
import * as tf from '@tensorflow/tfjs';
import { bench, describe } from 'vitest';
import { useBackend } from './compute-backend.js';

// A CIFAR ResNet18 layer1 convolution at batch 32: [32, 32, 32, 64] -> [32, 32, 32, 64], 3x3, stride 1, 'same'.
const X_SHAPE: [number, number, number, number] = [32, 32, 32, 64];
const FILTER_SHAPE: [number, number, number, number] = [3, 3, 64, 64];
const CONV = { strides: 1, pad: 'same', dataFormat: 'NHWC' } as const;
const FLOP = 2 * 32 * 32 * 32 * 64 * 64 * 3 * 3;

// vitest runs no beforeAll hooks for benchmarks.
await useBackend('wasm');
const x = tf.randomNormal<tf.Rank.R4>(X_SHAPE, 0, 1, 'float32', 1);
const filter = tf.randomNormal<tf.Rank.R4>(FILTER_SHAPE, 0, 0.05, 'float32', 2);
const dy = tf.randomNormal<tf.Rank.R4>(X_SHAPE, 0, 1, 'float32', 3);

/**
 * A benchmark of `run` that also prints its median time and GFLOP/s, which vitest's table leaves out. The result is
 * read back so that the time includes all of the kernel's work.
 */
function convBench(name: string, run: () => tf.Tensor): void {
  let milliseconds: number[] = [];
  bench(
    name,
    () => {
      const start = performance.now();
      const result = run();
      result.dataSync();
      milliseconds.push(performance.now() - start);
      result.dispose();
    },
    {
      setup: () => {
        milliseconds = [];
      },
      teardown: (_, mode) => {
        if (mode !== 'run') return;
        const median = milliseconds.sort((a, b) => a - b)[Math.floor(milliseconds.length / 2)]!;
        console.log(`${name}: ${median.toFixed(1)} ms median, ${(FLOP / median / 1e6).toFixed(1)} GFLOP/s`);
      },
    },
  );
}

describe(`wasm conv2d [32, 32, 32, 64] -> 64, 3x3, stride 1 (${(FLOP / 1e9).toFixed(2)} GFLOP per call)`, () => {
  convBench('Conv2D (forward, XNNPACK)', () => tf.conv2d(x, filter, CONV.strides, CONV.pad));
  convBench('Conv2DBackpropInput (registerWasmTrainingKernels)', () =>
    tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter }, { ...CONV, inputShape: X_SHAPE }),
  );
  convBench('Conv2DBackpropFilter (registerWasmTrainingKernels)', () =>
    tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, { ...CONV, filterShape: FILTER_SHAPE }),
  );
});
