import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { useBackend } from './compute-backend.js';
import {
  CONVOLUTION_VARIABLE,
  ONEDNN_ADDON_PATH,
  ONEDNN_VARIABLE,
  oneDnnCachedPrimitives,
  oneDnnConvolutionImplementation,
  oneDnnFilterPackings,
  unregisterOneDnnKernels,
  useOneDnnKernels,
} from './onednn-kernels.js';
import {
  BLOCKED_CONV_CASES,
  CONV_CASES,
  GEMM_CONV_CASES,
  TOLERANCE,
  WINOGRAD_CONV_CASES,
  ceilRoundedFilterGradient,
  convGeometry,
  convOutputAndGradients,
  describeConvCase,
  leakedByRepeatedConvolutions,
  uniformValues,
  valuesOn,
  type ConvCase,
} from '../../test-support/convolution-cases.js';
import { relativeDifference } from '../../test-support/relative-difference.js';
import { seededRandom } from '../data/random.js';

const ONEDNN_KERNELS = [
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'Add',
  'Multiply',
  'Sub',
];
/** Where g++, libdnnl-dev and Node's headers are installed, `npm install` builds the addon (`.ci/run` installs them). */
const BUILDABLE = missingBuildNeeds().length === 0;

/** oneDNN 2.6 has Winograd convolutions for AVX-512 only; elsewhere the addon keeps the direct algorithm. */
const WINOGRAD = readFileSync('/proc/cpuinfo', 'utf8').includes(' avx512f');
const WINOGRAD_KERNEL = /^jit(_fp32)?_wino_[24]x3:/;

const kernelFuncs = () => ONEDNN_KERNELS.map((name) => tf.getKernel(name, 'wasm').kernelFunc);

let wasmKernels: tf.KernelFunc[];

/** conv2d's output, input gradient and filter gradient on wasm, each within TOLERANCE of the cpu backend's. */
async function expectAsOnCpu(compute: () => tf.Tensor[]): Promise<void> {
  const wasm = await valuesOn('wasm', compute);
  const cpu = await valuesOn('cpu', compute);
  for (const [index, name] of ['output', 'input gradient', 'filter gradient'].entries()) {
    expect(relativeDifference(wasm[index]!, cpu[index]!), name).toBeLessThan(TOLERANCE);
  }
}

beforeAll(async () => {
  await useBackend('wasm');
  unregisterOneDnnKernels();
  wasmKernels = kernelFuncs();
});

describe('useOneDnnKernels', () => {
  afterEach(() => {
    unregisterOneDnnKernels();
  });

  it.runIf(BUILDABLE)(
    "is active where g++, libdnnl-dev and Node's headers are installed, for which npm install built it",
    () => {
      const status = useOneDnnKernels({});
      expect(status.active).toBe(true);
      expect(status.active && status.version).toMatch(/^\d+\.\d+\.\d+$/);
    },
  );

  it.runIf(!BUILDABLE && !existsSync(ONEDNN_ADDON_PATH))('says how to build it where it is not built', () => {
    expect(useOneDnnKernels({})).toEqual({
      active: false,
      reason: 'the oneDNN addon is not built (install g++ and libdnnl-dev, then run npm run build:native)',
    });
    expect(kernelFuncs()).toEqual(wasmKernels);
  });

  it(`keeps wasm's own kernels with ${ONEDNN_VARIABLE}=0, and gives them back when unregistered`, () => {
    expect(useOneDnnKernels({ [ONEDNN_VARIABLE]: '0' })).toEqual({
      active: false,
      reason: `${ONEDNN_VARIABLE}=0`,
    });
    expect(kernelFuncs()).toEqual(wasmKernels);
    if (!useOneDnnKernels({}).active) return;
    // Registering twice stands in front of wasm's kernels once.
    const oneDnnKernels = kernelFuncs();
    useOneDnnKernels({});
    expect(kernelFuncs()).toEqual(oneDnnKernels);
    expect(oneDnnKernels.every((kernel, index) => kernel !== wasmKernels[index])).toBe(true);
    unregisterOneDnnKernels();
    expect(kernelFuncs()).toEqual(wasmKernels);
  });
});

describe.runIf(BUILDABLE)('kernels by oneDNN', () => {
  beforeAll(() => {
    expect(useOneDnnKernels({}).active).toBe(true);
  });

  beforeEach(async () => {
    await tf.setBackend('wasm');
  });

  it.each(
    [...CONV_CASES, ...BLOCKED_CONV_CASES].map(
      (convCase, index) => [describeConvCase(convCase), convCase, index] as const,
    ),
  )('gives conv2d, its input and its filter gradients equal to the cpu backend for %s', async (_, convCase, index) => {
    const compute = convOutputAndGradients(convCase, 1_000 + index);
    await expectAsOnCpu(compute);
  });

  it.each(WINOGRAD_CONV_CASES.map((convCase, index) => [describeConvCase(convCase), convCase, index] as const))(
    "computes %s by Winograd's algorithm in every direction, equal to the cpu backend",
    async (_, convCase, index) => {
      const geometry = convGeometry(convCase);
      for (const kind of ['forward', 'inputGradient', 'filterGradient', 'inference'] as const) {
        const implementation = oneDnnConvolutionImplementation(kind, geometry);
        if (WINOGRAD) expect(implementation).toMatch(WINOGRAD_KERNEL);
        else expect(implementation).not.toMatch(WINOGRAD_KERNEL);
      }
      // Two filters of one geometry in turn: a copy staged for one must not serve the other.
      for (const seed of [2_000 + index, 2_100 + index]) {
        const compute = convOutputAndGradients(convCase, seed);
        const hits = oneDnnCachedPrimitives()!.stagedHits;
        const [wasmOutput, wasmInput, wasmFilter] = await valuesOn('wasm', compute);
        // conv2d, then conv2d and its two gradients under tf.grads: the input and the filter reordered for the first
        // serve the second (2), the filter the input gradient (1), the input the filter gradient (1), and the output
        // gradient reordered for the input gradient serves the filter gradient (1).
        if (WINOGRAD) expect(oneDnnCachedPrimitives()!.stagedHits - hits).toBe(5);
        const [cpuOutput, cpuInput, cpuFilter] = await valuesOn('cpu', compute);
        expect(relativeDifference(wasmOutput!, cpuOutput!)).toBeLessThan(TOLERANCE);
        expect(relativeDifference(wasmInput!, cpuInput!)).toBeLessThan(TOLERANCE);
        expect(relativeDifference(wasmFilter!, cpuFilter!)).toBeLessThan(TOLERANCE);
      }
    },
  );

  it.each(GEMM_CONV_CASES.map((convCase, index) => [describeConvCase(convCase), convCase, index] as const))(
    'computes %s in training by im2col and one matrix product, equal to the cpu backend',
    async (_, convCase, index) => {
      const geometry = convGeometry(convCase);
      for (const kind of ['forward', 'inputGradient', 'filterGradient'] as const) {
        expect(oneDnnConvolutionImplementation(kind, geometry)).toBe('gemm:im2col');
      }
      // Inference keeps oneDNN's primitive, which fuses a bias, a residual and a ReLU.
      expect(oneDnnConvolutionImplementation('inference', geometry)).not.toBe('gemm:im2col');
      const compute = convOutputAndGradients(convCase, 4_000 + index);
      await expectAsOnCpu(compute);
    },
  );

  it('leaves larger outputs, 1x1 filters and forced algorithms to oneDNN', () => {
    const [first] = GEMM_CONV_CASES;
    // 9 x 9 = 81 output pixels an image, past the 64 of GEMM_CONV_CASES's largest.
    const larger = convGeometry({ ...first!, height: 18, width: 18 });
    const pointwise = convGeometry({ ...first!, kernel: 1, pad: 'valid' });
    for (const geometry of [larger, pointwise]) {
      expect(oneDnnConvolutionImplementation('forward', geometry)).not.toBe('gemm:im2col');
    }
    try {
      useOneDnnKernels({ [CONVOLUTION_VARIABLE]: 'direct' });
      expect(oneDnnConvolutionImplementation('forward', convGeometry(first!))).not.toBe('gemm:im2col');
    } finally {
      useOneDnnKernels({});
    }
    expect(oneDnnConvolutionImplementation('forward', convGeometry(first!))).toBe('gemm:im2col');
  });

  it("computes a stem's 3 input channels with blocked kernels, not GEMM (about 4x faster at batch 32)", () => {
    const stems = BLOCKED_CONV_CASES.filter((convCase) => convCase.inChannels === 3);
    expect(stems).toHaveLength(2);
    for (const stem of stems) {
      for (const kind of ['forward', 'inputGradient', 'filterGradient', 'inference'] as const) {
        expect(oneDnnConvolutionImplementation(kind, convGeometry(stem))).toMatch(/^(brgconv|jit):avx/);
      }
    }
  });

  /**
   * A new input and filter of `convCase`'s shapes, convolved by Winograd's forward pass, which stages a copy of each;
   * the output disposed. The caller owns the two.
   */
  function stagedPair(convCase: ConvCase, seed: number): tf.Tensor[] {
    const { batch, height, width, inChannels, outChannels, kernel, stride, pad } = convCase;
    const random = seededRandom(seed);
    const x = tf.tensor4d(uniformValues(random, batch * height * width * inChannels), [
      batch,
      height,
      width,
      inChannels,
    ]);
    const filter = tf.tensor4d(uniformValues(random, kernel * kernel * inChannels * outChannels), [
      kernel,
      kernel,
      inChannels,
      outChannels,
    ]);
    tf.conv2d(x, filter, stride, pad).dispose();
    return [x, filter];
  }

  it.runIf(WINOGRAD)('keeps at most its capacity of staged copies, and drops those of disposed tensors', async () => {
    await tf.setBackend('wasm');
    const { stagedCapacity } = oneDnnCachedPrimitives()!;
    // Each round a new input and filter, as each training step, kept alive here: only the capacity bounds them.
    const kept: tf.Tensor[] = [];
    for (let round = 0; round < stagedCapacity / 2 + 5; round++) {
      kept.push(...stagedPair(WINOGRAD_CONV_CASES[0]!, 3_000 + round));
    }
    expect(oneDnnCachedPrimitives()!.stagedTensors).toBe(stagedCapacity);
    tf.dispose(kept);
    expect(oneDnnCachedPrimitives()!).toMatchObject({ stagedTensors: 0, stagedBytes: 0 });
    // The same with tf.grads' own tensors, disposed with its tidy: 5 copies read 10 times, none kept after.
    tf.dispose(tf.tidy(convOutputAndGradients(WINOGRAD_CONV_CASES[0]!, 3_500)));
    expect(oneDnnCachedPrimitives()!.stagedTensors).toBe(0);
  });

  it.runIf(WINOGRAD)('gives new copies the memory of dropped ones of their size, disposed or evicted', async () => {
    await tf.setBackend('wasm');
    const { stagedCapacity } = oneDnnCachedPrimitives()!;
    // Three geometries in turn: 6 copies of 6 sizes a round.
    const shapes = [...WINOGRAD_CONV_CASES, { ...WINOGRAD_CONV_CASES[0]!, batch: 3 }];
    const round = (index: number) =>
      shapes.flatMap((convCase, caseIndex) => stagedPair(convCase, 5_000 + 10 * index + caseIndex));
    // Disposed after each round, as a training step's tensors: the next round's copies take their memory.
    tf.dispose(round(0));
    let allocations = oneDnnCachedPrimitives()!.stagedAllocations;
    for (let index = 1; index < 5; index++) tf.dispose(round(index));
    expect(oneDnnCachedPrimitives()!.stagedAllocations).toBe(allocations);
    // Kept alive past the capacity, which is no multiple of 6 (128): the copy a new one evicts is mostly of another
    // size, and past the first rounds an evicted one of its size has left its memory behind.
    expect(stagedCapacity % 6).not.toBe(0);
    const rounds = Math.ceil(stagedCapacity / 6) + 2;
    const kept: tf.Tensor[] = [];
    for (let index = 0; index < rounds; index++) kept.push(...round(100 + index));
    allocations = oneDnnCachedPrimitives()!.stagedAllocations;
    for (let index = rounds; index < 2 * rounds; index++) kept.push(...round(100 + index));
    expect(oneDnnCachedPrimitives()!.stagedTensors).toBe(stagedCapacity);
    expect(oneDnnCachedPrimitives()!.stagedAllocations).toBe(allocations);
    tf.dispose(kept);
  });

  it(`takes the direct algorithm below 32 tiles, everywhere with ${CONVOLUTION_VARIABLE}=direct`, () => {
    // 1 x 4 x 4 tiles of 4x4: transforming the filter would cost more than Winograd saves.
    const small = convGeometry({ ...WINOGRAD_CONV_CASES[0]!, batch: 1 });
    const large = convGeometry(WINOGRAD_CONV_CASES[0]!);
    expect(oneDnnConvolutionImplementation('forward', small)).not.toMatch(WINOGRAD_KERNEL);
    try {
      useOneDnnKernels({ [CONVOLUTION_VARIABLE]: 'direct' });
      expect(oneDnnConvolutionImplementation('forward', large)).not.toMatch(WINOGRAD_KERNEL);
      useOneDnnKernels({ [CONVOLUTION_VARIABLE]: 'winograd' });
      if (WINOGRAD) expect(oneDnnConvolutionImplementation('forward', small)).toMatch(WINOGRAD_KERNEL);
    } finally {
      useOneDnnKernels({});
    }
    expect(() => useOneDnnKernels({ [CONVOLUTION_VARIABLE]: 'fast' })).toThrow(
      `${CONVOLUTION_VARIABLE} must be one of direct, auto, winograd, got 'fast'.`,
    );
  });

  it('packs an inference filter again for another algorithm, whose filter layout differs', async () => {
    const random = seededRandom(91);
    const [xValues, filterValues, biasValues] = [2 * 16 * 16 * 16, 3 * 3 * 16 * 32, 32].map((count) =>
      uniformValues(random, count),
    ) as [Float32Array, Float32Array, Float32Array];
    const convolve = (x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D) => [
      tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same', activation: 'relu' }),
    ];
    const tensors = () =>
      [
        tf.tensor4d(xValues, [2, 16, 16, 16]),
        tf.tensor4d(filterValues, [3, 3, 16, 32]),
        tf.tensor1d(biasValues),
      ] as const;
    const [reference] = await valuesOn('cpu', () => convolve(...tensors()));
    await tf.setBackend('wasm');
    // One filter tensor throughout, as an InferenceModel keeps it: its packed copies are found by tensor.
    const kept = tensors();
    const outputs: Float32Array[] = [];
    const packings: number[] = [];
    try {
      for (const algorithm of ['auto', 'direct', 'auto']) {
        useOneDnnKernels({ [CONVOLUTION_VARIABLE]: algorithm });
        const before = oneDnnFilterPackings();
        outputs.push((await valuesOn('wasm', () => convolve(...kept)))[0]!);
        packings.push(oneDnnFilterPackings() - before);
      }
    } finally {
      useOneDnnKernels({});
      tf.dispose([...kept]);
    }
    expect(packings).toEqual([1, 1, 0]);
    outputs.forEach((output) => expect(relativeDifference(output, reference!)).toBeLessThan(TOLERANCE));
  });

  it("honours 'ceil' rounding, whose last window reads past the padding", async () => {
    const [wasm] = await valuesOn('wasm', ceilRoundedFilterGradient());
    const [cpu] = await valuesOn('cpu', ceilRoundedFilterGradient());
    expect(relativeDifference(wasm!, cpu!)).toBeLessThan(TOLERANCE);
  });

  // The folded InferenceModel's convolutions: a bias and a ReLU (post-ops), either alone; 3 and 4 channels run oneDNN's
  // GEMM kernels, multiples of 16 its blocked ones. Leaky ReLU is left to wasm's fused kernel.
  it.each([
    ['bias and ReLU, 3 -> 4 channels', 3, 4, true, 'relu'],
    ['bias and ReLU, 16 -> 32 channels', 16, 32, true, 'relu'],
    ['bias only, 16 -> 16 channels', 16, 16, true, 'linear'],
    ['ReLU only, 16 -> 16 channels', 16, 16, false, 'relu'],
    ['leaky ReLU, left to wasm', 16, 16, true, 'leakyrelu'],
  ] as const)(
    'gives fused conv2d equal to the cpu backend: %s',
    async (_, inChannels, outChannels, withBias, activation) => {
      const random = seededRandom(inChannels * 100 + outChannels);
      const x = uniformValues(random, 2 * 7 * 7 * inChannels);
      const filter = uniformValues(random, 3 * 3 * inChannels * outChannels);
      const bias = uniformValues(random, outChannels);
      const fused = () =>
        [1, 2].map((strides) =>
          tf.fused.conv2d({
            x: tf.tensor4d(x, [2, 7, 7, inChannels]),
            filter: tf.tensor4d(filter, [3, 3, inChannels, outChannels]),
            strides,
            pad: [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ],
            bias: withBias ? tf.tensor1d(bias) : undefined,
            activation,
            leakyreluAlpha: 0.1,
          }),
        );
      const primitives = oneDnnCachedPrimitives()!.convolutions;
      const wasm = await valuesOn('wasm', fused);
      // One inference primitive for each stride, where oneDNN computes it.
      expect(oneDnnCachedPrimitives()!.convolutions - primitives).toBe(activation === 'leakyrelu' ? 0 : 2);
      const cpu = await valuesOn('cpu', fused);
      wasm.forEach((values, index) => expect(relativeDifference(values, cpu[index]!)).toBeLessThan(TOLERANCE));
      // The ReLU clips: a fused bias or ReLU left out would show in the values.
      if (activation === 'relu')
        expect(cpu[0]!.filter((value) => value === 0).length).toBeGreaterThan(cpu[0]!.length / 4);
    },
  );

  it('packs an inference filter once per filter and batch size, and computes as the cpu backend with it', async () => {
    const random = seededRandom(77);
    const [inChannels, outChannels] = [16, 32];
    const xValues = uniformValues(random, 2 * 5 * 5 * inChannels);
    const filterValues = [0, 1].map(() => uniformValues(random, 3 * 3 * inChannels * outChannels));
    const biasValues = uniformValues(random, outChannels);
    const convolve = (x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D) =>
      tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same', activation: 'relu' });
    // The same calls on a backend, each filter one tensor throughout, as an InferenceModel keeps it.
    const run = (backend: 'wasm' | 'cpu') =>
      valuesOn(backend, () => {
        const [filterA, filterB] = filterValues.map((values) =>
          tf.tensor4d(values, [3, 3, inChannels, outChannels]),
        ) as [tf.Tensor4D, tf.Tensor4D];
        const bias = tf.tensor1d(biasValues);
        const batchOf = (size: number) =>
          tf.tensor4d(xValues.slice(0, size * 5 * 5 * inChannels), [size, 5, 5, inChannels]);
        const steps: [tf.Tensor4D, tf.Tensor4D][] = [
          [batchOf(1), filterA],
          [batchOf(1), filterA],
          [batchOf(1), filterB],
          [batchOf(2), filterA],
          [batchOf(2), filterA],
        ];
        const packings: number[] = [];
        const outputs = steps.map(([x, filter]) => {
          const before = oneDnnFilterPackings();
          const y = convolve(x, filter, bias);
          packings.push(oneDnnFilterPackings() - before);
          return y;
        });
        if (backend === 'wasm') expect(packings).toEqual([1, 0, 1, 1, 0]);
        return outputs;
      });
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    wasm.forEach((values, index) => expect(relativeDifference(values, cpu[index]!)).toBeLessThan(TOLERANCE));
    // Two filters: a packed copy found for the wrong one would show here.
    expect(relativeDifference(wasm[2]!, wasm[1]!)).toBeGreaterThan(0.1);
  });

  it("leaves NCHW to wasm's kernels", async () => {
    // wasm's own filter gradient answers NCHW, and refuses it.
    await tf.setBackend('wasm');
    const inputs = { x: tf.zeros([1, 3, 5, 5]), dy: tf.zeros([1, 4, 3, 3]) };
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', inputs, attrs)).toThrow(
      "Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got 'NCHW'.",
    );
    tf.dispose(Object.values(inputs));
  });

  // Large enough for oneDNN (16,384 elements and more), with every way one operand broadcasts against the other.
  it.each([
    ['same shapes', [4, 16, 16, 64], [4, 16, 16, 64]],
    ['a channel vector second', [4, 16, 16, 64], [64]],
    ['a channel vector first', [64], [4, 16, 16, 64]],
    ['a scalar second', [4, 16, 16, 64], []],
    ['rank 2 against a row', [512, 64], [1, 64]],
    ['rank 3 against rank 2', [8, 64, 64], [64, 64]],
    ['a per-image vector', [4, 16, 16, 64], [4, 1, 1, 64]],
  ] as const)('adds, multiplies and subtracts exactly as the cpu backend, %s', async (_, aShape, bShape) => {
    const random = seededRandom(aShape.length * 10 + bShape.length);
    const a = uniformValues(random, tf.util.sizeFromShape([...aShape]));
    const b = uniformValues(random, tf.util.sizeFromShape([...bShape]));
    const compute = () => {
      const [x, y] = [tf.tensor(a, [...aShape]), tf.tensor(b, [...bShape])];
      return [tf.add(x, y), tf.mul(x, y), tf.sub(x, y)];
    };
    const onWasm = await valuesOn('wasm', compute);
    const onCpu = await valuesOn('cpu', compute);
    onWasm.forEach((values, index) => expect(values).toEqual(onCpu[index]));
  });

  it('leaves integers and small tensors to wasm, which still computes them', async () => {
    const compute = () => [
      tf.add(tf.range(0, 20_000, 1, 'int32'), tf.scalar(3, 'int32')),
      tf.mul(tf.tensor1d([1.5, 2]), tf.tensor1d([2, -1])),
    ];
    const [integers, small] = await valuesOn('wasm', compute);
    expect(integers![19_999]).toBe(20_002);
    expect(Array.from(small!)).toEqual([3, -2]);
  });

  it('keeps at most its capacity of primitives, however many shapes a long-running process sees', async () => {
    await tf.setBackend('wasm');
    const { capacity } = oneDnnCachedPrimitives()!;
    // Each length is a shape of its own: one binary primitive each, past the capacity.
    for (let extra = 0; extra <= capacity; extra++) {
      tf.tidy(() => tf.add(tf.ones([16_384 + extra]), tf.scalar(1)).dataSync());
    }
    expect(oneDnnCachedPrimitives()!.binaries).toBe(capacity);
    // Evicted primitives are made again when their shape comes back.
    expect(
      Array.from(
        tf.tidy(() =>
          tf
            .add(tf.ones([16_384]), tf.scalar(1))
            .dataSync()
            .slice(0, 2),
        ),
      ),
    ).toEqual([2, 2]);
  });

  it('leaks no tensor and no wasm buffer across repeated calls', () => {
    expect(leakedByRepeatedConvolutions()).toEqual({ tensors: 0, buffers: 0 });
  });
});
