import { BATCH_NORM_EPSILON, buildResNet, resolveResNetConfig, type ResNetConfigInput } from '@resnet-lab/resnet';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { relativeDifference } from '../../test-support/relative-difference.js';
import { useBackend } from '../backend/compute-backend.js';
import { unregisterOneDnnKernels, useOneDnnKernels } from '../backend/onednn-kernels.js';
import { CIFAR10_NORMALIZATION, makeSyntheticDataset, seededRandom } from '../data/index.js';
import { evaluateModel } from './evaluate-model.js';
import { InferenceModel } from './inference-model.js';
import { classifyImages } from './predict-images.js';

const TOLERANCE = 1e-4;
const BATCH = 2;

const MODELS = [
  ['resnet18, cifar stem', { arch: 'resnet18', width: 1 / 16 }],
  // Bottleneck blocks, the strided 7x7 stem convolution and the max-pool.
  ['resnet50, imagenet stem', { arch: 'resnet50', stem: 'imagenet', inputSize: 32, width: 1 / 16 }],
  // 16 channels and more: oneDNN's blocked kernels, where 4 channels run its GEMM ones.
  ['resnet18 at width 1/4', { arch: 'resnet18', width: 1 / 4 }],
] as const satisfies readonly (readonly [string, ResNetConfigInput])[];

const BACKENDS = ['cpu', 'wasm with oneDNN', "wasm's own kernels"] as const;
type Backend = (typeof BACKENDS)[number];

/** Where g++, libdnnl-dev and Node's headers are installed, `npm install` builds the addon (`.ci/run` installs them). */
const BUILDABLE = missingBuildNeeds().length === 0;

beforeAll(async () => {
  await useBackend('wasm');
});

afterAll(() => {
  useOneDnnKernels({});
});

async function onBackend(backend: Backend): Promise<void> {
  await tf.setBackend(backend === 'cpu' ? 'cpu' : 'wasm');
  if (backend === "wasm's own kernels") unregisterOneDnnKernels();
  else expect(useOneDnnKernels({}).active).toBe(BUILDABLE);
}

/**
 * A model whose batch norms are far from the identity: log-uniform running variances from 1e-6 to 1, where epsilon
 * (1e-5) changes the scale from 3.3x to not at all, and gamma sized so that the scale is 0.5 to 1.5 either sign.
 */
function modelWithStatistics(input: ResNetConfigInput, seed: number): tf.LayersModel {
  const model = buildResNet(input, { seed });
  const random = seededRandom(seed);
  const between = (low: number, high: number) => low + (high - low) * random();
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const channels = layer.getWeights()[0]!.shape[0];
    const variance = Float32Array.from({ length: channels }, () => 10 ** between(-6, 0));
    const gamma = variance.map(
      (value) => Math.sqrt(value + BATCH_NORM_EPSILON) * between(0.5, 1.5) * (random() < 0.25 ? -1 : 1),
    );
    const beta = Float32Array.from({ length: channels }, () => between(-0.5, 0.5));
    const mean = Float32Array.from({ length: channels }, () => between(-0.5, 0.5));
    const weights = [gamma, beta, mean, variance].map((values) => tf.tensor1d(values));
    layer.setWeights(weights);
    tf.dispose(weights);
  }
  return model;
}

function randomImages(input: ResNetConfigInput, seed: number): tf.Tensor4D {
  const { inputSize } = resolveResNetConfig(input);
  const random = seededRandom(seed);
  const values = Float32Array.from({ length: BATCH * inputSize * inputSize * 3 }, () => random() * 2 - 1);
  return tf.tensor4d(values, [BATCH, inputSize, inputSize, 3]);
}

describe('InferenceModel.fromResNet', () => {
  describe.each(BACKENDS)('on %s', (backend) => {
    it.runIf(backend !== 'wasm with oneDNN' || BUILDABLE).each(MODELS)(
      'gives the logits of the layers model in inference mode, %s',
      async (_, input) => {
        await onBackend(backend);
        const model = modelWithStatistics(input, 3);
        const folded = InferenceModel.fromResNet(model, resolveResNetConfig(input));
        const images = randomImages(input, 4);
        const expected = tf.tidy(() => model.apply(images, { training: false }) as tf.Tensor);
        const actual = folded.predict(images);
        expect(actual.shape).toEqual(expected.shape);
        expect(relativeDifference(actual.dataSync() as Float32Array, expected.dataSync() as Float32Array)).toBeLessThan(
          TOLERANCE,
        );
        tf.dispose([images, expected, actual]);
        folded.dispose();
        model.dispose();
      },
    );

    it.runIf(backend !== 'wasm with oneDNN' || BUILDABLE)(
      'holds no more tensors or buffers after repeated calls, and none of its own once disposed',
      async () => {
        await onBackend(backend);
        const [, input] = MODELS[1];
        const model = modelWithStatistics(input, 5);
        const images = randomImages(input, 6);
        const before = tf.memory().numTensors;
        const folded = InferenceModel.fromResNet(model, resolveResNetConfig(input));
        // With oneDNN the whole network is one native call, its weights in the addon; elsewhere 53 convolutions of
        // resnet50 with a kernel and a bias each, and the linear layer's kernel and bias.
        expect(folded.native).toBe(backend === 'wasm with oneDNN' && BUILDABLE);
        expect(tf.memory().numTensors - before).toBe(folded.native ? 0 : 53 * 2 + 2);
        tf.dispose(folded.predict(images));
        const [tensors, buffers] = [tf.memory().numTensors, tf.backend().numDataIds()];
        for (let call = 0; call < 3; call++) tf.dispose(folded.predict(images));
        expect([tf.memory().numTensors - tensors, tf.backend().numDataIds() - buffers]).toEqual([0, 0]);
        folded.dispose();
        expect(tf.memory().numTensors).toBe(before);
        expect(() => folded.predict(images)).toThrow('This InferenceModel has been disposed.');
        images.dispose();
        model.dispose();
      },
    );
  });

  it('refuses a config that the model was not built for, naming the layer, and keeps no tensor', async () => {
    await onBackend('cpu');
    const model = buildResNet({ arch: 'resnet18', width: 1 / 16 }, { seed: 1 });
    const before = tf.memory().numTensors;
    expect(() => InferenceModel.fromResNet(model, resolveResNetConfig({ arch: 'resnet34', width: 1 / 16 }))).toThrow(
      "Expected the model to have a layer 'layer1.2.conv1', as its ResNet config plans.",
    );
    expect(() => InferenceModel.fromResNet(model, resolveResNetConfig({ arch: 'resnet18', width: 1 / 8 }))).toThrow(
      "Expected conv1's kernel to have shape [3, 3, 3, 8] for the ResNet config, got [3, 3, 3, 4].",
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('evaluation and prediction on the folded model', () => {
  const input = MODELS[0][1];
  const { test } = makeSyntheticDataset({ trainCount: 0, testCount: 24, seed: 2 });

  it.each(BACKENDS.filter((backend) => backend !== 'wasm with oneDNN' || BUILDABLE))(
    'give the accuracy, confusion matrix and top-k of the layers model, on %s',
    async (backend) => {
      await onBackend(backend);
      const model = modelWithStatistics(input, 7);
      const folded = InferenceModel.fromResNet(model, resolveResNetConfig(input));
      // 24 images in batches of 10: a last batch of 4.
      const options = { batchSize: 10, normalization: CIFAR10_NORMALIZATION };
      const expected = await evaluateModel(model, test, options);
      const actual = await evaluateModel(folded, test, options);
      expect({ ...actual, loss: 0 }).toEqual({ ...expected, loss: 0 });
      expect(Math.abs(actual.loss - expected.loss) / expected.loss).toBeLessThan(TOLERANCE);
      // Not one class for every image: the comparison covers more than one column of the confusion matrix.
      const predictedClasses = expected.classNames.filter((_, column) =>
        expected.confusionMatrix.some((row) => row[column]! > 0),
      );
      expect(predictedClasses.length).toBeGreaterThan(1);

      const imageValues = 32 * 32 * 3;
      const images = Array.from({ length: 3 }, (_, index) => ({
        source: `image-${index}`,
        pixels: Float32Array.from(
          test.images.subarray(index * imageValues, (index + 1) * imageValues),
          (value) => value / 255,
        ),
      }));
      const classNames = test.classNames;
      const [byLayers, byFolded] = [
        await classifyImages({ model, classNames, normalization: null }, images, 3),
        await classifyImages({ model: folded, classNames, normalization: null }, images, 3),
      ];
      expect(byFolded.map(({ top }) => top.map(({ label }) => label))).toEqual(
        byLayers.map(({ top }) => top.map(({ label }) => label)),
      );
      byFolded.forEach(({ top }, image) =>
        top.forEach(({ probability }, rank) =>
          expect(Math.abs(probability - byLayers[image]!.top[rank]!.probability)).toBeLessThan(TOLERANCE),
        ),
      );
      folded.dispose();
      model.dispose();
    },
  );
});
