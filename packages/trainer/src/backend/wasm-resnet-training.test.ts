import { buildResNet, resolveResNetConfig, type ResNetConfigInput } from '@resnet-lab/resnet';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../data/random.js';
import { useBackend } from './compute-backend.js';
import { relativeDifference } from '../../test-support/relative-difference.js';

const TOLERANCE = 1e-4;
const BATCH = 2;

const RESNET18_CIFAR: ResNetConfigInput = { arch: 'resnet18', width: 1 / 16 };
// The ImageNet stem adds a strided 7x7 convolution and the 3x3 max-pool.
const RESNET50_IMAGENET: ResNetConfigInput = { arch: 'resnet50', stem: 'imagenet', inputSize: 32, width: 1 / 16 };
const MODELS = [
  ['resnet18 with the CIFAR stem', RESNET18_CIFAR],
  ['resnet50 with the ImageNet stem', RESNET50_IMAGENET],
] as const;

interface Batch {
  readonly images: Float32Array;
  readonly labels: number[];
  readonly size: number;
  readonly classes: number;
}

beforeAll(async () => {
  await useBackend('wasm');
});

beforeEach(async () => {
  await tf.setBackend('wasm');
});

function fixedBatch(config: ResNetConfigInput, seed: number): Batch {
  const random = seededRandom(seed);
  const { inputSize: size, classes } = resolveResNetConfig(config);
  return {
    images: Float32Array.from({ length: BATCH * size * size * 3 }, () => random() * 2 - 1),
    labels: Array.from({ length: BATCH }, () => Math.floor(random() * classes)),
    size,
    classes,
  };
}

/**
 * Batch norm in training mode normalizes with the batch's own statistics; in inference mode with the running ones,
 * an affine map (identity at initialization).
 */
function crossEntropy(model: tf.LayersModel, batch: Batch, training: boolean): tf.Scalar {
  return tf.tidy(() => {
    const images = tf.tensor4d(batch.images, [BATCH, batch.size, batch.size, 3]);
    const logits = model.apply(images, { training }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(tf.oneHot(batch.labels, batch.classes), logits);
  });
}

function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((weight) => weight.read() as tf.Variable);
}

async function initialWeights(config: ResNetConfigInput): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  const model = buildResNet(config, { seed: 1 });
  const weights = model.getWeights().map((weight) => weight.dataSync() as Float32Array);
  model.dispose();
  return weights;
}

/** The model on `backend` with the given weights, so that every backend starts from the same values. */
async function modelOn(backend: 'wasm' | 'cpu', config: ResNetConfigInput, weights: Float32Array[]) {
  await tf.setBackend(backend);
  const model = buildResNet(config);
  model.setWeights(model.weights.map((weight, index) => tf.tensor(weights[index]!, weight.shape as number[])));
  return model;
}

/** The gradient of the cross-entropy for every trainable weight, by weight name ('layer1.0.conv1/kernel'). */
async function gradientsOn(
  backend: 'wasm' | 'cpu',
  config: ResNetConfigInput,
  { training }: { training: boolean },
): Promise<Map<string, Float32Array>> {
  const model = await modelOn(backend, config, await initialWeights(config));
  const batch = fixedBatch(config, 3);
  const { value, grads } = tf.variableGrads(() => crossEntropy(model, batch, training), trainableVariables(model));
  const gradients = new Map(
    model.trainableWeights.map((weight) => [
      weight.originalName,
      grads[(weight.read() as tf.Variable).name]!.dataSync() as Float32Array,
    ]),
  );
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return gradients;
}

/** The weights whose wasm gradient is further than TOLERANCE from the cpu backend's, with their difference. */
async function gradientsFarFromCpu(config: ResNetConfigInput, mode: { training: boolean }) {
  const wasm = await gradientsOn('wasm', config, mode);
  const cpu = await gradientsOn('cpu', config, mode);
  expect([...wasm.keys()]).toEqual([...cpu.keys()]);
  return [...cpu]
    .map(([name, expected]) => [name, relativeDifference(wasm.get(name)!, expected)] as const)
    .filter(([, difference]) => !(difference < TOLERANCE));
}

describe('training a ResNet on wasm', () => {
  it.each(MODELS)("gives %s the cpu backend's gradient for every trainable weight", async (_, config) => {
    expect(await gradientsFarFromCpu(config, { training: false })).toEqual([]);
  });

  // Only for resnet18: with batch statistics, resnet50 at 32x32 (1x1 maps in layer4, batches of 2) is so badly
  // conditioned in float32 that the cpu backend changes its own gradients by up to 1.3% when the images change by
  // 1e-7 relative, as much as wasm and cpu differ; no two backends can agree there to 1e-4.
  it("gives resnet18 the cpu backend's gradients with batch norm in training mode too", async () => {
    expect(await gradientsFarFromCpu(RESNET18_CIFAR, { training: true })).toEqual([]);
  });

  it.each(MODELS)('lowers the loss of %s on a fixed batch with a few steps of SGD', async (_, config) => {
    const model = await modelOn('wasm', config, await initialWeights(config));
    const batch = fixedBatch(config, 4);
    const variables = trainableVariables(model);
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      const { value, grads } = tf.variableGrads(() => crossEntropy(model, batch, true), variables);
      losses.push(value.dataSync()[0]!);
      tf.tidy(() => {
        for (const variable of variables) variable.assign(tf.sub(variable, tf.mul(0.1, grads[variable.name]!)));
      });
      tf.dispose([value, ...Object.values(grads)]);
    }
    model.dispose();
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[4]).toBeLessThan(losses[0]! * 0.8);
  });
});
