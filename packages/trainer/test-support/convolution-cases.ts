// Convolution cases shared by the tests of the wasm backend's convolution kernels (wasm's own and oneDNN's): every
// kernel size, stride and padding ResNets use and more, checked against the cpu backend.
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../src/data/random.js';

export type Padding = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

export interface ConvCase {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: Padding;
}

/** Largest relative difference allowed between a kernel on wasm and the same kernel on the cpu backend. */
export const TOLERANCE = 1e-4;

/** Runs `compute` on `backend` and returns the values of the tensors it returns, disposing them. */
export async function valuesOn(backend: 'wasm' | 'cpu', compute: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = tf.tidy(compute);
  const values = tensors.map((tensor) => tensor.dataSync() as Float32Array);
  tf.dispose(tensors);
  return values;
}

export function uniformValues(random: () => number, count: number): Float32Array {
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

/**
 * conv2d(x, w) and the gradients of sum(conv2d(x, w) * r) with respect to x and w, the same random x, w and r on
 * every backend.
 */
export function convOutputAndGradients(convCase: ConvCase, seed: number): () => tf.Tensor[] {
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
    const x = tf.tensor4d(xValues, [...xShape]);
    const filter = tf.tensor4d(filterValues, [...filterShape]);
    const r = tf.tensor4d(rValues, rShape);
    const convolve = (input: tf.Tensor, weights: tf.Tensor) =>
      tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, stride, pad);
    const loss = (input: tf.Tensor, weights: tf.Tensor) => tf.sum(tf.mul(convolve(input, weights), r));
    return [convolve(x, filter), ...tf.grads(loss)([x, filter])];
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

export const CONV_CASES: readonly ConvCase[] = [
  ...randomConvCases(20_240_601),
  // Windows that leave the last input row and column unread, which the filter gradient must crop.
  { batch: 2, height: 8, width: 10, inChannels: 3, outChannels: 4, kernel: 3, stride: 2, pad: 'valid' },
  { batch: 1, height: 12, width: 12, inChannels: 2, outChannels: 3, kernel: 7, stride: 2, pad: 'valid' },
];

/**
 * Output channels that are multiples of 16 and input channels too, as in a ResNet past its stem, or 3 input channels
 * under a filter wider than 1x1, as in its stem: the cases where oneDNN computes with its own blocked filter layout
 * (native/onednn-kernels.cc).
 */
export const BLOCKED_CONV_CASES: readonly ConvCase[] = [
  { batch: 2, height: 8, width: 8, inChannels: 16, outChannels: 16, kernel: 3, stride: 1, pad: 'same' },
  // 9 x 9 output pixels: strided 3x3 convolutions with 64 or fewer are GEMM_CONV_CASES.
  { batch: 2, height: 19, width: 19, inChannels: 16, outChannels: 32, kernel: 3, stride: 2, pad: 'valid' },
  { batch: 2, height: 18, width: 18, inChannels: 32, outChannels: 16, kernel: 3, stride: 2, pad: 'same' },
  { batch: 3, height: 12, width: 6, inChannels: 16, outChannels: 32, kernel: 1, stride: 2, pad: 'same' },
  { batch: 3, height: 12, width: 6, inChannels: 32, outChannels: 64, kernel: 1, stride: 2, pad: 'valid' },
  { batch: 1, height: 6, width: 6, inChannels: 16, outChannels: 48, kernel: 1, stride: 1, pad: 'valid' },
  // The CIFAR stem and the ImageNet stem (7x7 stride 2, padding 3).
  { batch: 4, height: 12, width: 12, inChannels: 3, outChannels: 64, kernel: 3, stride: 1, pad: 'same' },
  { batch: 2, height: 19, width: 17, inChannels: 3, outChannels: 16, kernel: 7, stride: 2, pad: 3 },
];

/**
 * 3x3 stride-1 convolutions of multiples of 16 channels with at least 32 output tiles of 4x4, which the addon computes
 * with Winograd's algorithm (RESNET_LAB_CONVOLUTION=auto, the default): sizes that divide into whole tiles and sizes
 * that do not.
 */
export const WINOGRAD_CONV_CASES: readonly ConvCase[] = [
  { batch: 2, height: 16, width: 16, inChannels: 16, outChannels: 32, kernel: 3, stride: 1, pad: 'same' },
  { batch: 8, height: 7, width: 9, inChannels: 32, outChannels: 16, kernel: 3, stride: 1, pad: 'same' },
];

/**
 * 3x3 convolutions with a stride, multiples of 16 channels and at most 64 output pixels an image, which the addon
 * computes in training by im2col and one matrix product (PrefersGemm): padding on every side (PyTorch's), on the far
 * sides only ('same' at stride 2), none; 64 output pixels and fewer; a non-square image.
 */
export const GEMM_CONV_CASES: readonly ConvCase[] = [
  { batch: 3, height: 8, width: 8, inChannels: 16, outChannels: 32, kernel: 3, stride: 2, pad: 1 },
  { batch: 2, height: 16, width: 16, inChannels: 32, outChannels: 16, kernel: 3, stride: 2, pad: 'same' },
  { batch: 2, height: 11, width: 7, inChannels: 48, outChannels: 16, kernel: 3, stride: 2, pad: 'valid' },
];

/** [batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, kh, kw, sh, sw, pads], as the addon's. */
export function convGeometry(convCase: ConvCase): number[] {
  const { batch, height, width, inChannels, outChannels, kernel, stride, pad } = convCase;
  const info = tf.backend_util.computeConv2DInfo(
    [batch, height, width, inChannels],
    [kernel, kernel, inChannels, outChannels],
    stride,
    1,
    pad,
  );
  const { top, left, bottom, right } = info.padInfo;
  return [
    batch,
    height,
    width,
    inChannels,
    info.outHeight,
    info.outWidth,
    outChannels,
    kernel,
    kernel,
    stride,
    stride,
    top,
    left,
    bottom,
    right,
  ];
}

export const describeConvCase = (convCase: ConvCase) =>
  `${convCase.kernel}x${convCase.kernel} stride ${convCase.stride} pad ${JSON.stringify(convCase.pad)}, ` +
  `x [${convCase.batch}, ${convCase.height}, ${convCase.width}, ${convCase.inChannels}] -> ${convCase.outChannels}`;

/**
 * The filter gradient with 'ceil' rounding, whose last window reads past the padding: (10 + 2 * 1 - 3) / 2 + 1 = 5.5,
 * rounded up to 6 windows, the last covering padded rows 10 to 12 of 0 to 11.
 */
export function ceilRoundedFilterGradient(): () => tf.Tensor[] {
  const random = seededRandom(7);
  const x = uniformValues(random, 2 * 10 * 10 * 3);
  const dy = uniformValues(random, 2 * 6 * 6 * 4);
  const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil', filterShape: [3, 3, 3, 4] };
  return () => [
    tf
      .engine()
      .runKernel<tf.Tensor>(
        'Conv2DBackpropFilter',
        { x: tf.tensor4d(x, [2, 10, 10, 3]), dy: tf.tensor4d(dy, [2, 6, 6, 4]) },
        attrs,
      ),
  ];
}

/**
 * Tensors and wasm buffers left after a strided and a padded convolution (output and both gradients) run three more
 * times, beyond what their first run left.
 */
export function leakedByRepeatedConvolutions(): { tensors: number; buffers: number } {
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
  const computations = [convOutputAndGradients(strided, 1), convOutputAndGradients(padded, 2)];
  const call = () => {
    for (const compute of computations) tf.dispose(tf.tidy(compute));
  };
  call();
  const tensors = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  for (let repeat = 0; repeat < 3; repeat++) call();
  return { tensors: tf.memory().numTensors - tensors, buffers: tf.backend().numDataIds() - buffers };
}
