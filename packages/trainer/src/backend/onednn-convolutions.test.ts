import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { useBackend } from './compute-backend.js';
import {
  ONEDNN_ADDON_PATH,
  ONEDNN_VARIABLE,
  unregisterOneDnnConvolutions,
  useOneDnnConvolutions,
} from './onednn-convolutions.js';
import {
  CONV_CASES,
  TOLERANCE,
  ceilRoundedFilterGradient,
  convOutputAndGradients,
  describeConvCase,
  leakedByRepeating,
  uniformValues,
  valuesOn,
  type ConvCase,
} from '../test-support/convolution-cases.js';
import { relativeDifference } from '../test-support/relative-difference.js';
import { seededRandom } from '../data/random.js';

const CONVOLUTION_KERNELS = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
/** Where g++, libdnnl-dev and Node's headers are installed, `npm install` builds the addon (`.ci/run` installs them). */
const BUILDABLE = missingBuildNeeds().length === 0;

const kernelFuncs = () => CONVOLUTION_KERNELS.map((name) => tf.getKernel(name, 'wasm').kernelFunc);

let wasmKernels: tf.KernelFunc[];

beforeAll(async () => {
  await useBackend('wasm');
  unregisterOneDnnConvolutions();
  wasmKernels = kernelFuncs();
});

describe('useOneDnnConvolutions', () => {
  afterEach(() => {
    unregisterOneDnnConvolutions();
  });

  it.runIf(BUILDABLE)(
    "is active where g++, libdnnl-dev and Node's headers are installed, for which npm install built it",
    () => {
      const status = useOneDnnConvolutions({});
      expect(status.active).toBe(true);
      expect(status.active && status.version).toMatch(/^\d+\.\d+\.\d+$/);
    },
  );

  it.runIf(!BUILDABLE && !existsSync(ONEDNN_ADDON_PATH))('says how to build it where it is not built', () => {
    expect(useOneDnnConvolutions({})).toEqual({
      active: false,
      reason: 'the oneDNN addon is not built (install g++ and libdnnl-dev, then run npm run build:native)',
    });
    expect(kernelFuncs()).toEqual(wasmKernels);
  });

  it(`keeps wasm's own kernels with ${ONEDNN_VARIABLE}=0, and gives them back when unregistered`, () => {
    expect(useOneDnnConvolutions({ [ONEDNN_VARIABLE]: '0' })).toEqual({
      active: false,
      reason: `${ONEDNN_VARIABLE}=0`,
    });
    expect(kernelFuncs()).toEqual(wasmKernels);
    if (!useOneDnnConvolutions({}).active) return;
    // Registering twice stands in front of wasm's kernels once.
    const oneDnnKernels = kernelFuncs();
    useOneDnnConvolutions({});
    expect(kernelFuncs()).toEqual(oneDnnKernels);
    expect(oneDnnKernels.every((kernel, index) => kernel !== wasmKernels[index])).toBe(true);
    unregisterOneDnnConvolutions();
    expect(kernelFuncs()).toEqual(wasmKernels);
  });
});

describe.runIf(BUILDABLE)('convolutions by oneDNN', () => {
  beforeAll(() => {
    expect(useOneDnnConvolutions({}).active).toBe(true);
  });

  beforeEach(async () => {
    await tf.setBackend('wasm');
  });

  it.each(CONV_CASES.map((convCase, index) => [describeConvCase(convCase), convCase, index] as const))(
    'gives conv2d, its input and its filter gradients equal to the cpu backend for %s',
    async (_, convCase, index) => {
      const compute = convOutputAndGradients(convCase, 1_000 + index);
      const [wasmOutput, wasmInput, wasmFilter] = await valuesOn('wasm', compute);
      const [cpuOutput, cpuInput, cpuFilter] = await valuesOn('cpu', compute);
      expect(relativeDifference(wasmOutput!, cpuOutput!)).toBeLessThan(TOLERANCE);
      expect(relativeDifference(wasmInput!, cpuInput!)).toBeLessThan(TOLERANCE);
      expect(relativeDifference(wasmFilter!, cpuFilter!)).toBeLessThan(TOLERANCE);
    },
  );

  it("honours 'ceil' rounding, whose last window reads past the padding", async () => {
    const [wasm] = await valuesOn('wasm', ceilRoundedFilterGradient());
    const [cpu] = await valuesOn('cpu', ceilRoundedFilterGradient());
    expect(relativeDifference(wasm!, cpu!)).toBeLessThan(TOLERANCE);
  });

  it("leaves a fused bias and activation, and NCHW, to wasm's kernels", async () => {
    const random = seededRandom(11);
    const x = uniformValues(random, 2 * 6 * 6 * 3);
    const filter = uniformValues(random, 3 * 3 * 3 * 4);
    const bias = uniformValues(random, 4);
    const fused = () => [
      tf.fused.conv2d({
        x: tf.tensor4d(x, [2, 6, 6, 3]),
        filter: tf.tensor4d(filter, [3, 3, 3, 4]),
        strides: 1,
        pad: 'same',
        bias: tf.tensor1d(bias),
        activation: 'relu',
      }),
    ];
    const [wasm] = await valuesOn('wasm', fused);
    const [cpu] = await valuesOn('cpu', fused);
    expect(relativeDifference(wasm!, cpu!)).toBeLessThan(TOLERANCE);
    // wasm's own filter gradient answers NCHW, and refuses it.
    await tf.setBackend('wasm');
    const inputs = { x: tf.zeros([1, 3, 5, 5]), dy: tf.zeros([1, 4, 3, 3]) };
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', inputs, attrs)).toThrow(
      "Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got 'NCHW'.",
    );
    tf.dispose(Object.values(inputs));
  });

  it('leaks no tensor and no wasm buffer across repeated calls', () => {
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
    const leaked = leakedByRepeating(() => {
      for (const compute of computations) tf.dispose(tf.tidy(compute));
    });
    expect(leaked).toEqual({ tensors: 0, buffers: 0 });
  });
});
