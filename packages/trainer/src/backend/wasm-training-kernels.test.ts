import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../data/random.js';
import { useBackend } from './compute-backend.js';
import { unregisterOneDnnKernels } from './onednn-kernels.js';
import { WASM_TRAINING_KERNEL_NAMES, registerWasmTrainingKernels } from './wasm-training-kernels.js';
import {
  CONV_CASES,
  TOLERANCE,
  ceilRoundedFilterGradient,
  convOutputAndGradients,
  describeConvCase,
  leakedByRepeatedConvolutions,
  uniformValues,
  valuesOn,
} from '../../test-support/convolution-cases.js';
import { relativeDifference } from '../../test-support/relative-difference.js';

beforeAll(async () => {
  await useBackend('wasm');
  // These tests are of wasm's own kernels; onednn-kernels.test.ts runs the same cases through oneDNN's.
  unregisterOneDnnKernels();
});

beforeEach(async () => {
  await tf.setBackend('wasm');
});

describe('registerWasmTrainingKernels', () => {
  it('registers the filter gradient that wasm lacks, the max-pool gradient it gets wrong and faster kernels, once', () => {
    expect(WASM_TRAINING_KERNEL_NAMES).toEqual([
      'Conv2DBackpropFilter',
      'ResNetLabBatchNormRunningStatistics',
      'MaxPoolGrad',
      'Identity',
      'Conv2DBackpropInput',
      'Slice',
      'Cast',
    ]);
    const registered = WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm').kernelFunc);
    registerWasmTrainingKernels();
    expect(WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm').kernelFunc)).toEqual(registered);
  });

  it('casts to the same type without copying, and to other types as the cpu backend does', async () => {
    await tf.setBackend('wasm');
    const buffers = () => tf.backend().numDataIds();
    const before = buffers();
    const floats = tf.tensor1d([1.5, -2, 0, 3]);
    // wasm's own Cast gave [1, 254, 0, 3] for bool.
    const same = tf.cast(floats, 'float32');
    expect(buffers() - before).toBe(1);
    const ints = tf.cast(floats, 'int32');
    const bools = tf.cast(floats, 'bool');
    expect(Array.from(await ints.data())).toEqual([1, -2, 0, 3]);
    expect(Array.from(await bools.data())).toEqual([1, 1, 0, 1]);
    floats.dispose();
    expect(Array.from(await same.data())).toEqual([1.5, -2, 0, 3]);
    tf.dispose([same, ints, bools]);
    expect(buffers()).toBe(before);
  });

  it('clones without copying: the clone shares memory, outlives its source and frees it once', async () => {
    await tf.setBackend('wasm');
    const buffers = () => tf.backend().numDataIds();
    const before = buffers();
    const source = tf.tensor1d([1, 2, 3, 4]);
    const clone = tf.clone(source);
    // One wasm buffer for both tensors; wasm's own Identity allocated a second and copied.
    expect(buffers() - before).toBe(1);
    source.dispose();
    expect(Array.from(await clone.data())).toEqual([1, 2, 3, 4]);
    expect(buffers() - before).toBe(1);
    clone.dispose();
    expect(buffers()).toBe(before);
  });

  it.each(CONV_CASES.map((convCase, index) => [describeConvCase(convCase), convCase, index] as const))(
    'gives conv2d input and filter gradients equal to the cpu backend for %s',
    async (_, convCase, index) => {
      const compute = convOutputAndGradients(convCase, 1_000 + index);
      const [, wasmInput, wasmFilter] = await valuesOn('wasm', compute);
      const [, cpuInput, cpuFilter] = await valuesOn('cpu', compute);
      expect(relativeDifference(wasmInput!, cpuInput!)).toBeLessThan(TOLERANCE);
      expect(relativeDifference(wasmFilter!, cpuFilter!)).toBeLessThan(TOLERANCE);
    },
  );

  it('slices as the cpu backend does: ranks 1 to 5, whole and partial axes, empty boxes and strings', async () => {
    const random = seededRandom(5);
    const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
    const boxes: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
      // A strided convolution's padding gradient: the last axis whole, so runs span it and the width.
      { shape: [3, 6, 6, 4], begin: [0, 1, 1, 0], size: [3, 4, 4, 4] },
      { shape: [2, 3, 4], begin: [0, 0, 0], size: [2, 3, 4] },
      { shape: [2, 3, 4], begin: [1, 0, 0], size: [1, 3, 4] },
      { shape: [5, 3], begin: [2, 0], size: [0, 3] },
    ];
    for (let rank = 1; rank <= 5; rank++) {
      for (let repeat = 0; repeat < 4; repeat++) {
        const shape = Array.from({ length: rank }, () => between(1, 5));
        const begin = shape.map((length) => between(0, length - 1));
        const size = shape.map((length, axis) => between(1, length - begin[axis]!));
        boxes.push({ shape, begin, size });
      }
    }
    for (const { shape, begin, size } of boxes) {
      const values = uniformValues(
        random,
        shape.reduce((product, length) => product * length, 1),
      );
      const compute = () => [tf.slice(tf.tensor(values, shape), begin, size)];
      const [wasm] = await valuesOn('wasm', compute);
      const [cpu] = await valuesOn('cpu', compute);
      expect(wasm, JSON.stringify({ shape, begin, size })).toEqual(cpu);
    }
    await tf.setBackend('wasm');
    const words = tf.tensor2d(['a', 'b', 'c', 'd', 'e', 'f'], [3, 2]);
    expect(tf.slice(words, [1, 1], [2, 1]).arraySync()).toEqual([['d'], ['f']]);
    words.dispose();
  });

  it("honours 'ceil' rounding, whose last window reads past the padding", async () => {
    const [wasm] = await valuesOn('wasm', ceilRoundedFilterGradient());
    const [cpu] = await valuesOn('cpu', ceilRoundedFilterGradient());
    expect(relativeDifference(wasm!, cpu!)).toBeLessThan(TOLERANCE);
  });

  it('rejects what it does not implement, naming the value', () => {
    const x = tf.zeros([1, 3, 5, 5]);
    const dy = tf.zeros([1, 4, 3, 3]);
    const filterGradient = (attrs: tf.NamedAttrMap) => () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { strides: 1, pad: 'valid', filterShape: [3, 3, 3, 4], ...attrs },
        );
    expect(filterGradient({ dataFormat: 'NCHW' })).toThrow(
      "Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got 'NCHW'.",
    );
    expect(filterGradient({ dataFormat: 'NHWC', dilations: [2, 2] })).toThrow(
      'Conv2DBackpropFilter on wasm supports dilations 1 only, got [2,2].',
    );
    tf.dispose([x, dy]);
  });

  // Windows of negative values only, which wasm's own MaxPoolGrad sends to element 0, and ties, which it breaks
  // towards the last maximum instead of the first.
  it.each([
    [3, 2, 'valid'],
    [3, 2, 'same'],
    [3, 2, 1],
    [2, 2, 'valid'],
    [3, 1, 'same'],
    [1, 2, 'valid'],
  ] as const)('gives max-pool %i stride %i pad %j gradients equal to the cpu backend', async (size, stride, pad) => {
    const random = seededRandom(size * 100 + stride * 10 + String(pad).length);
    const xShape: [number, number, number, number] = [2, 9, 11, 3];
    // Values from {-1, -0.5, 0, 0.5} - 1: many ties, and every window negative.
    const xValues = uniformValues(random, 2 * 9 * 11 * 3).map((value) => Math.floor(value * 2) / 2 - 1);
    const outShape = tf.backend_util.computePool2DInfo(xShape, size, stride, 1, pad).outShape;
    const rValues = uniformValues(
      random,
      outShape.reduce((a, b) => a * b),
    );
    const gradient = () => [
      tf.grad((x) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, size, stride, pad), tf.tensor4d(rValues, outShape))))(
        tf.tensor4d(xValues, xShape),
      ),
    ];
    const [wasm] = await valuesOn('wasm', gradient);
    const [cpu] = await valuesOn('cpu', gradient);
    expect(relativeDifference(wasm!, cpu!)).toBeLessThan(TOLERANCE);
  });

  it('leaks no tensor and no wasm buffer across repeated gradient calls', () => {
    expect(leakedByRepeatedConvolutions()).toEqual({ tensors: 0, buffers: 0 });
  });
});
