import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { TOLERANCE, uniformValues, valuesOn } from '../../test-support/convolution-cases.js';
import { relativeDifference } from '../../test-support/relative-difference.js';
import { seededRandom } from '../data/random.js';
import { useBackend } from './compute-backend.js';
import { oneDnnCachedPrimitives, unregisterOneDnnKernels, useOneDnnKernels } from './onednn-kernels.js';
import { RESIDUAL_CONV2D, residualConv2d } from './residual-conv2d.js';

/** Where g++, libdnnl-dev and Node's headers are installed, `npm install` builds the addon (`.ci/run` installs them). */
const BUILDABLE = missingBuildNeeds().length === 0;

beforeAll(async () => {
  await useBackend('wasm');
});

afterAll(() => {
  useOneDnnKernels({});
});

const registered = (backend: string) =>
  (tf.getKernel(RESIDUAL_CONV2D, backend) as tf.KernelConfig | undefined) !== undefined;

// The ends of ResNet blocks: 3x3 stride 1 (basic), 1x1 (bottleneck); 4 channels run oneDNN's GEMM kernels, multiples
// of 16 its blocked ones; a strided one, which no ResNet block ends with, and a 'valid' one.
const CASES = [
  ['3x3, 4 channels', { size: 6, inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 1 }],
  ['3x3, 16 channels', { size: 6, inChannels: 16, outChannels: 16, kernel: 3, stride: 1, padding: 1 }],
  ['1x1, 16 -> 64 channels', { size: 5, inChannels: 16, outChannels: 64, kernel: 1, stride: 1, padding: 0 }],
  ['3x3 stride 2, 16 -> 32 channels', { size: 7, inChannels: 16, outChannels: 32, kernel: 3, stride: 2, padding: 1 }],
] as const;
type Case = (typeof CASES)[number][1];

/** residualConv2d and relu(conv2d + bias + residual) written out, on the same seeded values. */
function residualAndReference({ size, inChannels, outChannels, kernel, stride, padding }: Case, seed: number) {
  const random = seededRandom(seed);
  const outSize = Math.floor((size + 2 * padding - kernel) / stride) + 1;
  const x = uniformValues(random, 2 * size * size * inChannels);
  const filter = uniformValues(random, kernel * kernel * inChannels * outChannels);
  const bias = uniformValues(random, outChannels);
  const residual = uniformValues(random, 2 * outSize * outSize * outChannels);
  const pad: 'valid' | tf.backend_util.ExplicitPadding =
    padding === 0
      ? 'valid'
      : [
          [0, 0],
          [padding, padding],
          [padding, padding],
          [0, 0],
        ];
  return () => {
    const inputs = {
      x: tf.tensor4d(x, [2, size, size, inChannels]),
      filter: tf.tensor4d(filter, [kernel, kernel, inChannels, outChannels]),
      bias: tf.tensor1d(bias),
      residual: tf.tensor4d(residual, [2, outSize, outSize, outChannels]),
    };
    const reference = tf.relu(
      tf.add(tf.add(tf.conv2d(inputs.x, inputs.filter, stride, pad), inputs.bias), inputs.residual),
    );
    return [residualConv2d(inputs, { strides: stride, pad }), reference];
  };
}

describe('residualConv2d', () => {
  it.each(CASES)('is relu(conv2d + bias + residual) on the cpu backend, %s', async (_, convCase) => {
    expect(registered('cpu')).toBe(false);
    const [actual, reference] = await valuesOn('cpu', residualAndReference(convCase, 1));
    expect(actual).toEqual(reference);
    // The ReLU clips about half: a residual or bias left out would show.
    expect(actual!.filter((value) => value === 0).length).toBeGreaterThan(actual!.length / 4);
  });

  it.each(CASES)("equals the cpu backend on wasm's own kernels, %s", async (_, convCase) => {
    unregisterOneDnnKernels();
    expect(registered('wasm')).toBe(false);
    const [onWasm] = await valuesOn('wasm', residualAndReference(convCase, 2));
    const [onCpu] = await valuesOn('cpu', residualAndReference(convCase, 2));
    expect(relativeDifference(onWasm!, onCpu!)).toBeLessThan(TOLERANCE);
  });

  describe.runIf(BUILDABLE)('with oneDNN', () => {
    beforeAll(() => {
      expect(useOneDnnKernels({}).active).toBe(true);
    });

    it.each(CASES)('is one primitive, equal to the cpu backend, %s', async (_, convCase) => {
      expect(registered('wasm')).toBe(true);
      const primitives = oneDnnCachedPrimitives()!.convolutions;
      const [onWasm, wasmReference] = await valuesOn('wasm', residualAndReference(convCase, 3));
      // The residual convolution's primitive, and the reference's plain convolution.
      expect(oneDnnCachedPrimitives()!.convolutions - primitives).toBe(2);
      const [onCpu] = await valuesOn('cpu', residualAndReference(convCase, 3));
      expect(relativeDifference(onWasm!, onCpu!)).toBeLessThan(TOLERANCE);
      expect(relativeDifference(onWasm!, wasmReference!)).toBeLessThan(TOLERANCE);
    });

    it("composes wasm's kernels for a residual that broadcasts, as tf.add does", async () => {
      const random = seededRandom(5);
      const [x, filter, bias, residual] = [2 * 4 * 4 * 16, 16 * 16, 16, 16].map((count) =>
        uniformValues(random, count),
      );
      const compute = () => [
        residualConv2d(
          {
            x: tf.tensor4d(x!, [2, 4, 4, 16]),
            filter: tf.tensor4d(filter!, [1, 1, 16, 16]),
            bias: tf.tensor1d(bias!),
            residual: tf.tensor4d(residual!, [1, 1, 1, 16]),
          },
          { strides: 1, pad: 'valid' },
        ),
      ];
      const [onWasm] = await valuesOn('wasm', compute);
      const [onCpu] = await valuesOn('cpu', compute);
      expect(onWasm!.length).toBe(2 * 4 * 4 * 16);
      expect(relativeDifference(onWasm!, onCpu!)).toBeLessThan(TOLERANCE);
    });

    it('leaks no tensor and no wasm buffer across repeated calls', async () => {
      await tf.setBackend('wasm');
      const compute = residualAndReference(CASES[1][1], 4);
      tf.dispose(tf.tidy(compute));
      const [tensors, buffers] = [tf.memory().numTensors, tf.backend().numDataIds()];
      for (let call = 0; call < 3; call++) tf.dispose(tf.tidy(compute));
      expect([tf.memory().numTensors - tensors, tf.backend().numDataIds() - buffers]).toEqual([0, 0]);
    });

    it('is unregistered with the other oneDNN kernels', () => {
      unregisterOneDnnKernels();
      expect(registered('wasm')).toBe(false);
      useOneDnnKernels({});
      expect(registered('wasm')).toBe(true);
    });
  });
});
