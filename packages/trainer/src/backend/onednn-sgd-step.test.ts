import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { uniformValues } from '../../test-support/convolution-cases.js';
import { seededRandom } from '../data/random.js';
import { SgdOptimizer, type SgdOptions } from '../training/sgd.js';
import { useBackend } from './compute-backend.js';
import { unregisterOneDnnKernels, useOneDnnKernels } from './onednn-kernels.js';
import { SGD_STEP, hasSgdStepKernel } from './sgd-step-kernel.js';

/** Where g++, libdnnl-dev and Node's headers are installed, `npm install` builds the addon (`.ci/run` installs them). */
const BUILDABLE = missingBuildNeeds().length === 0;

/**
 * A filter, a bias, one value, and one past the addon's chunk of 2^14 values (a chunk boundary, the remainder in a
 * partial vector): 76,181 values in all, past the addon's threshold of 2^15 for using its threads.
 */
const SHAPES = [[3, 3, 16, 32], [64], [1], [71_500]];
const LEARNING_RATES = [0.1, 0.05, 0.1, 0.01];

/**
 * The parameters and momentum buffers after each of LEARNING_RATES' steps, from random values and gradients, on
 * `backend`, and how many SGD_STEP kernels each step ran. With `resumeWith`, the second step on is a new optimizer's,
 * restored with those parameters' buffers only (the others start over, as on a first step).
 */
async function trainingRun(
  backend: 'wasm' | 'cpu',
  options: SgdOptions,
  resumeWith?: readonly string[],
): Promise<{ steps: Float32Array[][]; kernelCalls: number[] }> {
  await tf.setBackend(backend);
  const random = seededRandom(17);
  const variables = SHAPES.map((shape) =>
    tf.variable(tf.tensor(uniformValues(random, tf.util.sizeFromShape(shape)), shape)),
  );
  const parameters = variables.map((variable, i) => ({ name: `p${i}`, variable }));
  let optimizer = new SgdOptimizer(options);
  const steps: Float32Array[][] = [];
  const kernelCalls: number[] = [];
  for (const learningRate of LEARNING_RATES) {
    const gradients = Object.fromEntries(
      variables.map((variable) => [variable.name, tf.tensor(uniformValues(random, variable.size), variable.shape)]),
    );
    const profile = await tf.profile(() => optimizer.step(parameters, gradients, learningRate));
    kernelCalls.push(profile.kernels.filter((kernel) => kernel.name === SGD_STEP).length);
    tf.dispose(Object.values(gradients));
    const buffers = [...optimizer.state().values()];
    steps.push([...variables, ...buffers].map((tensor) => tensor.dataSync() as Float32Array));
    if (resumeWith !== undefined && steps.length === 1) {
      const saved = new Map(resumeWith.map((name) => [name, optimizer.state().get(name)!.clone()]));
      optimizer.dispose();
      optimizer = new SgdOptimizer(options);
      optimizer.restore(saved);
      tf.dispose([...saved.values()]);
    }
  }
  optimizer.dispose();
  tf.dispose(variables);
  return { steps, kernelCalls };
}

beforeAll(async () => {
  await useBackend('wasm');
  unregisterOneDnnKernels();
});

describe('SGD step kernel', () => {
  it('is registered for wasm only while oneDNN computes, and removed with its other kernels', () => {
    const active = useOneDnnKernels({}).active;
    expect(hasSgdStepKernel('wasm')).toBe(active);
    expect(hasSgdStepKernel('cpu')).toBe(false);
    unregisterOneDnnKernels();
    expect(hasSgdStepKernel('wasm')).toBe(false);
  });
});

describe.runIf(BUILDABLE)('SGD step by the native addon', () => {
  beforeAll(() => {
    expect(useOneDnnKernels({}).active).toBe(true);
  });

  // Each operation rounds to float32 in the ops' order, so the values are the cpu backend's exactly, not just close.
  it.each([
    ['momentum and weight decay, as the seed trains', { momentum: 0.9, weightDecay: 5e-4, nesterov: false }],
    ['momentum without weight decay', { momentum: 0.9, weightDecay: 0, nesterov: false }],
    ['Nesterov momentum', { momentum: 0.9, weightDecay: 5e-4, nesterov: true }],
    ['Nesterov momentum without weight decay', { momentum: 0.5, weightDecay: 0, nesterov: true }],
    ['weight decay without momentum', { momentum: 0, weightDecay: 5e-4, nesterov: false }],
    ['plain gradient descent', { momentum: 0, weightDecay: 0, nesterov: false }],
  ] as const)(
    'updates parameters and buffers exactly as the ops on the cpu backend, from the first step: %s',
    async (_, options) => {
      const native = await trainingRun('wasm', options);
      const ops = await trainingRun('cpu', options);
      expect(native.kernelCalls).toEqual([1, 1, 1, 1]);
      expect(ops.kernelCalls).toEqual([0, 0, 0, 0]);
      // Parameters, then buffers where there is momentum.
      expect(native.steps.map((values) => values.length)).toEqual(
        LEARNING_RATES.map(() => (options.momentum > 0 ? 8 : 4)),
      );
      native.steps.forEach((values, step) => {
        values.forEach((value, index) =>
          expect(value, `step ${step}, tensor ${index}`).toEqual(ops.steps[step]![index]),
        );
      });
    },
  );

  it('continues from restored buffers, with some parameters on their first step', async () => {
    const options = { momentum: 0.9, weightDecay: 5e-4, nesterov: true };
    const native = await trainingRun('wasm', options, ['p0', 'p2']);
    const ops = await trainingRun('cpu', options, ['p0', 'p2']);
    expect(native.kernelCalls).toEqual([1, 1, 1, 1]);
    expect(native.steps.map((values) => values.length)).toEqual([8, 8, 8, 8]);
    native.steps.forEach((values, step) => {
      values.forEach((value, index) => expect(value, `step ${step}, tensor ${index}`).toEqual(ops.steps[step]![index]));
    });
  });

  it('leaks no tensor or wasm buffer from step to step', async () => {
    await tf.setBackend('wasm');
    const variables = SHAPES.map((shape) => tf.variable(tf.ones(shape)));
    const parameters = variables.map((variable, i) => ({ name: `p${i}`, variable }));
    const gradients = Object.fromEntries(variables.map((variable) => [variable.name, tf.onesLike(variable)]));
    const optimizer = new SgdOptimizer({ momentum: 0.9, weightDecay: 5e-4, nesterov: false });
    optimizer.step(parameters, gradients, 0.1);
    const { numTensors, numBytes } = tf.memory();
    const buffers = tf.backend().numDataIds();
    for (let step = 0; step < 3; step++) optimizer.step(parameters, gradients, 0.1);
    expect({
      tensors: tf.memory().numTensors - numTensors,
      bytes: tf.memory().numBytes - numBytes,
      buffers: tf.backend().numDataIds() - buffers,
    }).toEqual({ tensors: 0, bytes: 0, buffers: 0 });
    // The four steps wrote the variables: PyTorch's update from p = 1 and gradients of 1, in float32.
    const f = Math.fround;
    let [expected, buffer] = [1, 0];
    for (let step = 0; step < 4; step++) {
      const direction = f(1 + f(expected * f(5e-4)));
      buffer = step === 0 ? direction : f(f(buffer * f(0.9)) + direction);
      expected = f(expected - f(buffer * f(0.1)));
    }
    expect([...variables[1]!.dataSync()]).toEqual(new Array<number>(64).fill(expected));
    optimizer.dispose();
    tf.dispose([...variables, ...Object.values(gradients)]);
  });
});
