import { buildResNet, resolveResNetConfig, type ResNetConfigInput } from '@resnet-lab/resnet';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { relativeDifference } from '../../test-support/relative-difference.js';
import { useBackend } from '../backend/compute-backend.js';
import { oneDnnNetworks, unregisterOneDnnKernels, useOneDnnKernels } from '../backend/onednn-kernels.js';
import { seededRandom } from '../data/index.js';
import { InferenceModel } from './inference-model.js';

/** Where g++, libdnnl-dev and Node's headers are installed, `npm install` builds the addon (`.ci/run` installs them). */
const BUILDABLE = missingBuildNeeds().length === 0;
const TOLERANCE = 1e-4;

// 16 channels and more: oneDNN's blocked kernels, and Winograd's for the 3x3 stride-1 convolutions at 32x32.
const BLOCKED: ResNetConfigInput = { arch: 'resnet18', width: 1 / 4 };
// Bottleneck blocks, the strided 7x7 stem convolution and the max pool.
const BOTTLENECK: ResNetConfigInput = { arch: 'resnet50', stem: 'imagenet', inputSize: 32, width: 1 / 16 };

beforeAll(async () => {
  await useBackend('wasm');
});

afterAll(async () => {
  await tf.setBackend('wasm');
  useOneDnnKernels({});
});

function randomImages(input: ResNetConfigInput, count: number, seed: number): tf.Tensor4D {
  const { inputSize } = resolveResNetConfig(input);
  const random = seededRandom(seed);
  const values = Float32Array.from({ length: count * inputSize * inputSize * 3 }, () => random() * 2 - 1);
  return tf.tensor4d(values, [count, inputSize, inputSize, 3]);
}

/** The logits by tfjs's own kernels on the cpu backend: the reference. */
async function cpuLogits(model: tf.LayersModel, input: ResNetConfigInput, images: tf.Tensor4D): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const folded = InferenceModel.fromResNet(model, resolveResNetConfig(input));
  expect(folded.native).toBe(false);
  const logits = folded.predict(images);
  const values = logits.dataSync() as Float32Array;
  tf.dispose(logits);
  folded.dispose();
  await tf.setBackend('wasm');
  return values;
}

describe.runIf(BUILDABLE)('InferenceModel as one oneDNN network', () => {
  it.each([
    ['resnet18 at width 1/4', BLOCKED],
    ['resnet50, imagenet stem', BOTTLENECK],
  ])(
    'gives the reference logits at each batch size, more sizes than it keeps plans for, in any order (%s)',
    async (_, input) => {
      expect(useOneDnnKernels({}).active).toBe(true);
      const model = buildResNet(input, { seed: 7 });
      const images = randomImages(input, 5, 8);
      const expected = await cpuLogits(model, input, images);
      const folded = InferenceModel.fromResNet(model, resolveResNetConfig(input));
      expect(folded.native).toBe(true);
      const classes = resolveResNetConfig(input).classes;
      const logitsOf = (start: number, count: number): Float32Array => {
        const batch = images.slice(start, count);
        const logits = folded.predict(batch);
        const values = logits.dataSync() as Float32Array;
        tf.dispose([batch, logits]);
        return values;
      };
      const first = logitsOf(0, 1);
      // Batch sizes 1 to 5 (the network keeps plans for 3), then 1 again.
      for (const [start, count] of [
        [0, 5],
        [1, 2],
        [2, 3],
        [1, 4],
        [4, 1],
      ] as const) {
        const actual = logitsOf(start, count);
        const reference = expected.subarray(start * classes, (start + count) * classes);
        expect(relativeDifference(actual, reference)).toBeLessThan(TOLERANCE);
      }
      expect(logitsOf(0, 1)).toEqual(first);
      folded.dispose();
      images.dispose();
      model.dispose();
    },
  );

  it('refuses images of another size, and runs no more once disposed', () => {
    useOneDnnKernels({});
    const model = buildResNet(BLOCKED, { seed: 1 });
    const folded = InferenceModel.fromResNet(model, resolveResNetConfig(BLOCKED));
    const wrong = tf.zeros<tf.Rank.R4>([1, 16, 16, 3]);
    expect(() => folded.predict(wrong)).toThrow('Expected images of shape [batch, 32, 32, 3], got [1, 16, 16, 3].');
    folded.dispose();
    expect(() => folded.predict(wrong)).toThrow('This InferenceModel has been disposed.');
    tf.dispose(wrong);
    model.dispose();
  });

  it("is not used on the cpu backend, nor on wasm's own kernels", async () => {
    const model = buildResNet(BLOCKED, { seed: 1 });
    const config = resolveResNetConfig(BLOCKED);
    await tf.setBackend('cpu');
    expect(oneDnnNetworks()).toBeUndefined();
    await tf.setBackend('wasm');
    unregisterOneDnnKernels();
    expect(oneDnnNetworks()).toBeUndefined();
    const folded = InferenceModel.fromResNet(model, config);
    expect(folded.native).toBe(false);
    folded.dispose();
    useOneDnnKernels({});
    model.dispose();
  });

  describe("the addon's createNetwork and runNetwork", () => {
    // One 3x3 convolution of 4x4x16 images into 16 channels with a bias and a ReLU, then the head's 2 classes.
    const geometry = [1, 4, 4, 16, 4, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1];
    const weights = () => new Float32Array(3 * 3 * 16 * 16).fill(0.01);
    const create = (ops: number[], opWeights = [weights()], biases = [new Float32Array(16)]) =>
      oneDnnNetworks()!.createNetwork(
        Int32Array.from([4, 4, 16]),
        Int32Array.from(ops),
        Int32Array.from(geometry),
        opWeights,
        biases,
        new Float32Array(16 * 2).fill(1),
        Float32Array.from([0.5, -0.5]),
      );

    it('computes the head: each class the bias plus the sum of the channel means', () => {
      useOneDnnKernels({});
      const addon = oneDnnNetworks()!;
      const network = create([0, 1 | 4, 0, -1]);
      // All ones in: each output is 0.01 x (the window's inputs) + 0, whose mean over the 4x4 image is
      // 0.01 x 16 channels x (36 of 9 taps on the 16 positions, by padding: 4 corners x 4 + 8 edges x 6 + 4 x 9) / 16.
      const images = new Float32Array(4 * 4 * 16).fill(1);
      const logits = new Float32Array(2);
      addon.runNetwork(network, 1, images, logits);
      const channelMean = (0.01 * 16 * (4 * 4 + 8 * 6 + 4 * 9)) / 16;
      expect(logits[0]).toBeCloseTo(0.5 + 16 * channelMean, 4);
      expect(logits[1]).toBeCloseTo(-0.5 + 16 * channelMean, 4);
      addon.freeNetwork(network);
      expect(() => addon.runNetwork(network, 1, images, logits)).toThrow('the network has been freed');
    });

    it('refuses ops that read what is not written, weights of other sizes and arrays of other lengths', () => {
      useOneDnnKernels({});
      const addon = oneDnnNetworks()!;
      expect(() => create([0, 1 | 4, 1, -1])).toThrow('op 0 reads value 1, not yet written');
      expect(() => create([0, 1 | 2, 0, -1])).toThrow(
        'op 0 must read a written residual value exactly where its flags have one',
      );
      expect(() => create([0, 1, 0, -1], [new Float32Array(10)])).toThrow(
        "op 0's weights or bias do not have its geometry's sizes",
      );
      expect(() => create([0, 8, 0, -1])).toThrow("an op's flags must be an integer from 0 to 7");
      const network = create([0, 1, 0, -1]);
      expect(() => addon.runNetwork(network, 2, new Float32Array(4 * 4 * 16), new Float32Array(4))).toThrow(
        'images has 256 elements, expected 512',
      );
      expect(() =>
        addon.runNetwork({} as typeof network, 1, new Float32Array(4 * 4 * 16), new Float32Array(2)),
      ).toThrow('network must be what createNetwork returned');
      expect(() => (addon.runNetwork as (...args: unknown[]) => void)(network, 1)).toThrow(
        'runNetwork(network, batch, images, logits) takes 4 arguments',
      );
      addon.freeNetwork(network);
    });
  });
});
