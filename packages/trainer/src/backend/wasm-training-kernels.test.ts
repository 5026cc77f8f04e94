import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../data/random.js';
import { useBackend } from './compute-backend.js';
import { WASM_TRAINING_KERNEL_NAMES, registerWasmTrainingKernels } from './wasm-training-kernels.js';
import { relativeDifference } from '../test-support/relative-difference.js';

type Padding = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface ConvCase {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: Padding;
}

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await useBackend('wasm');
});

beforeEach(async () => {
  await tf.setBackend('wasm');
});

/** Runs `compute` on `backend` and returns the values of the tensors it returns, disposing them. */
async function valuesOn(backend: 'wasm' | 'cpu', compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = tf.tidy(compute);
  const values = tensors.map((tensor) => tensor.dataSync() as Float32Array);
  tf.dispose(tensors);
  return values;
}

function uniformValues(random: () => number, count: number): Float32Array {
  return Float32Array.from({ length: count }, () => random() * 2 - 1);
}

function outputShape(convCase: ConvCase): [number, number, number, number] {
  const { batch, height, width, inChannels, outChannels, kernel, stride, pad } = convCase;
  return tf.backend_util.computeConv2DInfo(
    [batch, height, width, inChannels],
    [kernel, kernel, inChannels, outChannels],
    stride,
    1,
    pad,
  ).outShape;
}

/** Gradients of sum(conv2d(x, w) * r) with respect to x and w, the same random x, w and r on every backend. */
function convGradients(convCase: ConvCase, seed: number): () => tf.Tensor[] {
  const { batch, height, width, inChannels, outChannels, kernel, stride, pad } = convCase;
  const random = seededRandom(seed);
  const xShape = [batch, height, width, inChannels] as const;
  const filterShape = [kernel, kernel, inChannels, outChannels] as const;
  const rShape = outputShape(convCase);
  const xValues = uniformValues(
    random,
    xShape.reduce((a, b) => a * b),
  );
  const filterValues = uniformValues(
    random,
    filterShape.reduce((a, b) => a * b),
  );
  const rValues = uniformValues(
    random,
    rShape.reduce((a, b) => a * b),
  );
  return () => {
    const r = tf.tensor4d(rValues, rShape);
    const loss = (x: tf.Tensor, filter: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, pad), r));
    return tf.grads(loss)([tf.tensor4d(xValues, [...xShape]), tf.tensor4d(filterValues, [...filterShape])]);
  };
}

/** Every kernel size, stride and padding, each with its own seeded shape; numeric pads as tf.layers never uses. */
function randomConvCases(seed: number): ConvCase[] {
  const random = seededRandom(seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const cases: ConvCase[] = [];
  for (const kernel of [1, 3, 7]) {
    for (const stride of [1, 2]) {
      const pads: Padding[] = [
        'same',
        'valid',
        Math.floor(kernel / 2) + 1,
        [
          [0, 0],
          [1, 2],
          [0, 1],
          [0, 0],
        ],
      ];
      for (const pad of pads) {
        // Large enough for one valid window.
        const smallest = Math.max(5, kernel);
        cases.push({
          batch: between(1, 3),
          height: between(smallest, 12),
          width: between(smallest, 12),
          inChannels: between(1, 8),
          outChannels: between(1, 8),
          kernel,
          stride,
          pad,
        });
      }
    }
  }
  return cases;
}

const describeCase = (convCase: ConvCase) =>
  `${convCase.kernel}x${convCase.kernel} stride ${convCase.stride} pad ${JSON.stringify(convCase.pad)}, ` +
  `x [${convCase.batch}, ${convCase.height}, ${convCase.width}, ${convCase.inChannels}] -> ${convCase.outChannels}`;

describe('registerWasmTrainingKernels', () => {
  it('registers the filter gradient that wasm lacks, the max-pool gradient it gets wrong and a sharing Identity, once', () => {
    expect(WASM_TRAINING_KERNEL_NAMES).toEqual([
      'Conv2DBackpropFilter',
      'MaxPoolGrad',
      'Identity',
      'Conv2DBackpropInput',
    ]);
    const registered = WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm').kernelFunc);
    registerWasmTrainingKernels();
    expect(WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm').kernelFunc)).toEqual(registered);
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

  const convCases = [
    ...randomConvCases(20_240_601),
    // Windows that leave the last input row and column unread, which the filter gradient must crop.
    { batch: 2, height: 8, width: 10, inChannels: 3, outChannels: 4, kernel: 3, stride: 2, pad: 'valid' },
    { batch: 1, height: 12, width: 12, inChannels: 2, outChannels: 3, kernel: 7, stride: 2, pad: 'valid' },
  ] satisfies ConvCase[];

  it.each(convCases.map((convCase, index) => [describeCase(convCase), convCase, index] as const))(
    'gives conv2d input and filter gradients equal to the cpu backend for %s',
    async (_, convCase, index) => {
      const gradients = convGradients(convCase, 1_000 + index);
      const [wasmInput, wasmFilter] = await valuesOn('wasm', gradients);
      const [cpuInput, cpuFilter] = await valuesOn('cpu', gradients);
      expect(relativeDifference(wasmInput!, cpuInput!)).toBeLessThan(TOLERANCE);
      expect(relativeDifference(wasmFilter!, cpuFilter!)).toBeLessThan(TOLERANCE);
    },
  );

  it("honours 'ceil' rounding, whose last window reads past the padding", async () => {
    const random = seededRandom(7);
    const x = uniformValues(random, 2 * 10 * 10 * 3);
    // (10 + 2 * 1 - 3) / 2 + 1 = 5.5, rounded up to 6 windows: the last covers padded rows 10 to 12 of 0 to 11.
    const dy = uniformValues(random, 2 * 6 * 6 * 4);
    const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil', filterShape: [3, 3, 3, 4] };
    const filterGradient = () => [
      tf
        .engine()
        .runKernel<tf.Tensor>(
          'Conv2DBackpropFilter',
          { x: tf.tensor4d(x, [2, 10, 10, 3]), dy: tf.tensor4d(dy, [2, 6, 6, 4]) },
          attrs,
        ),
    ];
    const [wasm] = await valuesOn('wasm', filterGradient);
    const [cpu] = await valuesOn('cpu', filterGradient);
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
    const strided: ConvCase = {
      batch: 2,
      height: 9,
      width: 8,
      inChannels: 3,
      outChannels: 5,
      kernel: 3,
      stride: 2,
      pad: 'valid',
    };
    const padded: ConvCase = { ...strided, kernel: 7, stride: 1, pad: 'same' };
    const gradients = [convGradients(strided, 1), convGradients(padded, 2)];
    const call = () => {
      for (const compute of gradients) tf.dispose(tf.tidy(compute));
    };
    call();
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    for (let repeat = 0; repeat < 3; repeat++) call();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
  });
});
