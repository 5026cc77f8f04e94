import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { uniformValues } from '../../test-support/convolution-cases.js';
import { seededRandom } from '../data/random.js';
import { useBackend } from './compute-backend.js';
import { unregisterOneDnnKernels, useOneDnnKernels } from './onednn-kernels.js';
import { RELU_GRAD, hasReluGradKernel } from './relu-grad-kernel.js';

/** Where g++, libdnnl-dev and Node's headers are installed, `npm install` builds the addon (`.ci/run` installs them). */
const BUILDABLE = missingBuildNeeds().length === 0;

/** The addon's threshold for ReLU (MIN_NATIVE_ELEMENTS in onednn-kernels.ts), and its threads' (the .cc's). */
const NATIVE_ELEMENTS = 1 << 14;
const THREADED_ELEMENTS = 1 << 19;

/** Values whose ReLU or gradient has a sign or a NaN to get right, and a subnormal that a flush to zero would lose. */
const SPECIAL_X = [-0, 0, NaN, -1, 2, -Infinity, Infinity, 2 ** -149, -(2 ** -149), 3.5];
const SPECIAL_DY = [-3, 3, 2, -2, 5, -1, Infinity, 7, NaN, -Infinity];

/** Each value as a number, except -0 and NaN as strings, so that toEqual tells 0 from -0. */
function exactly(values: ArrayLike<number>): (number | string)[] {
  return Array.from(values, (value) => (Number.isNaN(value) ? 'NaN' : Object.is(value, -0) ? '-0' : value));
}

/** [x, dy] of `size` values each: SPECIAL_X and SPECIAL_DY in every combination first, then seeded random ones. */
function inputs(size: number): [Float32Array, Float32Array] {
  const random = seededRandom(size);
  const [x, dy] = [uniformValues(random, size), uniformValues(random, size)];
  for (let i = 0; i < Math.min(size, SPECIAL_X.length * SPECIAL_DY.length); i++) {
    x[i] = SPECIAL_X[i % SPECIAL_X.length]!;
    dy[i] = SPECIAL_DY[Math.floor(i / SPECIAL_X.length)]!;
  }
  return [x, dy];
}

/** relu(x) and its gradient for dy, on `backend`, by tf.relu or by a tfjs-layers ReLU layer, with the kernels run. */
async function reluAndGradient(
  backend: 'wasm' | 'cpu',
  size: number,
  by: 'tf.relu' | 'tf.layers.reLU',
): Promise<{ y: (number | string)[]; dx: (number | string)[]; kernels: string[] }> {
  await tf.setBackend(backend);
  const [xValues, dyValues] = inputs(size);
  const apply =
    by === 'tf.relu' ? (t: tf.Tensor) => tf.relu(t) : (t: tf.Tensor) => tf.layers.reLU().apply(t) as tf.Tensor;
  let values: [Float32Array, Float32Array] | undefined;
  const profile = await tf.profile(() => {
    const [x, dy] = [tf.tensor1d(xValues), tf.tensor1d(dyValues)];
    const { value, grad } = tf.valueAndGrad(apply)(x, dy);
    values = [value.dataSync() as Float32Array, grad.dataSync() as Float32Array];
    tf.dispose([x, dy, value, grad]);
  });
  return { y: exactly(values![0]), dx: exactly(values![1]), kernels: profile.kernels.map((kernel) => kernel.name) };
}

let tfjsGradient: tf.GradConfig;

beforeAll(async () => {
  await useBackend('wasm');
  unregisterOneDnnKernels();
  tfjsGradient = tf.getGradient('Relu');
});

afterAll(() => {
  unregisterOneDnnKernels();
});

describe('ReLU kernels', () => {
  it("stand in for wasm's Relu and tfjs's gradient only while oneDNN computes, and give them back", () => {
    const wasmRelu = tf.getKernel('Relu', 'wasm').kernelFunc;
    const active = useOneDnnKernels({}).active;
    expect(hasReluGradKernel('wasm')).toBe(active);
    expect(hasReluGradKernel('cpu')).toBe(false);
    expect(tf.getKernel('Relu', 'wasm').kernelFunc !== wasmRelu).toBe(active);
    expect(tf.getGradient('Relu') !== tfjsGradient).toBe(active);
    // Registering twice changes nothing.
    const [relu, gradient] = [tf.getKernel('Relu', 'wasm').kernelFunc, tf.getGradient('Relu')];
    useOneDnnKernels({});
    expect([tf.getKernel('Relu', 'wasm').kernelFunc, tf.getGradient('Relu')]).toEqual([relu, gradient]);
    unregisterOneDnnKernels();
    expect(hasReluGradKernel('wasm')).toBe(false);
    expect(tf.getKernel('Relu', 'wasm').kernelFunc).toBe(wasmRelu);
    expect(tf.getGradient('Relu')).toBe(tfjsGradient);
    unregisterOneDnnKernels();
    expect(tf.getGradient('Relu')).toBe(tfjsGradient);
  });

  it("leave tfjs's values where the backend has no RELU_GRAD, as the cpu backend", async () => {
    useOneDnnKernels({});
    await tf.setBackend('cpu');
    const x = tf.tensor1d(SPECIAL_X);
    const dx = tf.grad((t: tf.Tensor) => tf.relu(t))(x, tf.tensor1d(SPECIAL_DY));
    expect(exactly(tf.relu(x).dataSync())).toEqual([0, 0, 'NaN', 0, 2, 0, Infinity, 2 ** -149, 0, 3.5]);
    // dy * step(x): dy where x > 0, NaN where x is NaN, else dy * 0.
    expect(exactly(dx.dataSync())).toEqual(['-0', 0, 'NaN', '-0', 5, '-0', Infinity, 7, 'NaN', -Infinity]);
    tf.dispose([x, dx]);
    unregisterOneDnnKernels();
  });
});

describe.runIf(BUILDABLE)('ReLU by the native addon', () => {
  beforeAll(() => {
    expect(useOneDnnKernels({}).active).toBe(true);
  });

  it.each([
    [SPECIAL_X.length * SPECIAL_DY.length, 'on wasm', 'tf.relu'],
    [NATIVE_ELEMENTS - 1, 'on wasm', 'tf.relu'],
    [NATIVE_ELEMENTS, 'natively on one thread', 'tf.relu'],
    [THREADED_ELEMENTS + 3, 'natively on every thread', 'tf.relu'],
    [NATIVE_ELEMENTS, 'natively on one thread', 'tf.layers.reLU'],
  ] as const)(
    'equal the cpu backend exactly for %i values (forward %s) by %s, the gradient by RELU_GRAD',
    async (size, _, by) => {
      const native = await reluAndGradient('wasm', size, by);
      const cpu = await reluAndGradient('cpu', size, by);
      expect(native.y).toEqual(cpu.y);
      expect(native.dx).toEqual(cpu.dx);
      // Both go through kernel Relu, whose gradient is one RELU_GRAD on wasm and tfjs's Step and Multiply on cpu.
      expect(native.kernels.filter((name) => ['Relu', RELU_GRAD, 'Step'].includes(name))).toEqual(['Relu', RELU_GRAD]);
      expect(cpu.kernels.filter((name) => ['Relu', RELU_GRAD, 'Step'].includes(name))).toEqual(['Relu', 'Step']);
    },
  );

  it("keeps tfjs's gradient for an int32 ReLU", async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([-2, 0, 3], 'int32');
    const profile = await tf.profile(() => {
      const dx = tf.grad((t: tf.Tensor) => tf.relu(t))(x, tf.tensor1d([5, 6, 7]));
      expect([...dx.dataSync()]).toEqual([0, 0, 7]);
      return dx;
    });
    expect(profile.kernels.map((kernel) => kernel.name)).toContain('Step');
    expect(profile.kernels.map((kernel) => kernel.name)).not.toContain(RELU_GRAD);
    x.dispose();
  });

  it('leaks no tensor or wasm buffer', async () => {
    await tf.setBackend('wasm');
    const [xValues, dyValues] = inputs(THREADED_ELEMENTS + 3);
    const [x, dy] = [tf.tensor1d(xValues), tf.tensor1d(dyValues)];
    const step = () => tf.tidy(() => tf.sum(tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy)).dataSync());
    step();
    const { numTensors, numBytes } = tf.memory();
    const buffers = tf.backend().numDataIds();
    for (let i = 0; i < 3; i++) step();
    expect({
      tensors: tf.memory().numTensors - numTensors,
      bytes: tf.memory().numBytes - numBytes,
      buffers: tf.backend().numDataIds() - buffers,
    }).toEqual({ tensors: 0, bytes: 0, buffers: 0 });
    tf.dispose([x, dy]);
  });
});
