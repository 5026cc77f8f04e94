// loadInferenceCheckpoint folds a checkpoint's stored weights into the InferenceModel that fromResNet folds from the
// loaded layers model: the same logits bit for bit, without building the layers model, and errors that name the
// checkpoint, the layer and the damage.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { allConvs, buildResNet, planResNet, resolveResNetConfig, type ResNetConfigInput } from '@resnet-lab/resnet';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../backend/compute-backend.js';
import { seededRandom } from '../data/index.js';
import {
  ModelDirectoryError,
  readModelArtifacts,
  weightByteLength,
  writeModelArtifacts,
  type ModelMetadata,
} from '../model-directory.js';
import { loadCheckpoint, readCheckpointMetadata, saveCheckpoint } from './checkpoint.js';
import { InferenceModel } from './inference-model.js';
import { loadInferenceCheckpoint } from './load-inference-checkpoint.js';

const MODELS = [
  ['resnet18, cifar stem', { arch: 'resnet18', width: 1 / 16 }],
  // Bottleneck blocks, the strided 7x7 stem convolution and the max-pool.
  ['resnet50, imagenet stem', { arch: 'resnet50', stem: 'imagenet', inputSize: 32, width: 1 / 16 }],
] as const satisfies readonly (readonly [string, ResNetConfigInput])[];
const RESNET18 = MODELS[0][1];
const BATCH = 2;

let root: string;
/** A resnet18 checkpoint (with momentum buffers) that the damage tests rewrite. */
let resnet18: string;

beforeAll(async () => {
  await useBackend('wasm');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'load-inference-checkpoint-'));
  resnet18 = await writeCheckpoint('resnet18', RESNET18, 3);
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Where each batch norm weight is drawn from: far from the identity that a freshly built model's batch norms are. */
const BATCH_NORM_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  gamma: [0.5, 1.5],
  beta: [-0.5, 0.5],
  moving_mean: [-0.5, 0.5],
  moving_variance: [0.25, 1],
};

/**
 * Saves a checkpoint of a ResNet with random batch norm weights, and a momentum buffer per parameter: weights of
 * the optimizer's group, which the loader must skip.
 */
async function writeCheckpoint(name: string, input: ResNetConfigInput, seed: number): Promise<string> {
  const model = buildResNet(input, { seed });
  const random = seededRandom(seed);
  for (const weight of model.weights) {
    // Only batch norms have weights of these names: convolutions and `linear` keep their initial weights.
    const range = BATCH_NORM_RANGES[weight.originalName.slice(weight.originalName.lastIndexOf('/') + 1)];
    if (range === undefined) continue;
    const [low, high] = range;
    // [channels]
    const tensor = tf.tensor1d(Float32Array.from({ length: weight.shape[0]! }, () => low + (high - low) * random()));
    weight.write(tensor);
    tensor.dispose();
  }
  const momentum = new Map(model.trainableWeights.map((weight) => [weight.originalName, tf.onesLike(weight.read())]));
  const directory = path.join(root, name);
  await saveCheckpoint([directory], model, momentum, {
    epoch: 1,
    config: null,
    model: resolveResNetConfig(input),
    classNames: Array.from({ length: resolveResNetConfig(input).classes }, (_, label) => `class-${label}`),
    normalization: null,
    metrics: null,
    history: [],
    bestTestAccuracy: null,
    backend: null,
    savedAt: '2026-01-02T03:04:05.000Z',
  });
  momentum.forEach((tensor) => tensor.dispose());
  model.dispose();
  return directory;
}

interface StoredWeight {
  readonly spec: tf.io.WeightsManifestEntry;
  readonly bytes: Uint8Array;
}
/** The stored topology's layers, as tfjs-layers writes them. */
type TopologyLayer = { class_name: string; config: Record<string, unknown> };

/** A copy of checkpoint `from` named `name`, its weights and topology layers changed by `edit`. */
async function rewriteCheckpoint(
  from: string,
  name: string,
  edit: (weights: StoredWeight[], layers: TopologyLayer[]) => StoredWeight[],
): Promise<string> {
  const artifacts = await readModelArtifacts(from);
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  let offset = 0;
  const weights = artifacts.weightSpecs!.map((spec) => {
    const bytes = data.subarray(offset, offset + weightByteLength(spec));
    offset += bytes.byteLength;
    return { spec, bytes };
  });
  const topology = structuredClone(artifacts.modelTopology) as { config: { layers: TopologyLayer[] } };
  const edited = edit(weights, topology.config.layers);
  const directory = path.join(root, name);
  await writeModelArtifacts(
    directory,
    {
      modelTopology: topology,
      weightSpecs: edited.map(({ spec }) => spec),
      weightData: tf.io.CompositeArrayBuffer.join(edited.map(({ bytes }) => bytes.slice().buffer)),
    },
    { metadata: artifacts.userDefinedMetadata as ModelMetadata, contents: 'checkpoint' },
  );
  return directory;
}

function randomImages(input: ResNetConfigInput, seed: number): tf.Tensor4D {
  const { inputSize } = resolveResNetConfig(input);
  const random = seededRandom(seed);
  const values = Float32Array.from({ length: BATCH * inputSize * inputSize * 3 }, () => random() * 2 - 1);
  return tf.tensor4d(values, [BATCH, inputSize, inputSize, 3]);
}

/** The logits of `images` by the checkpoint as eval and predict loaded it before: layers model, then fromResNet. */
async function logitsThroughLayersModel(directory: string, images: tf.Tensor4D): Promise<Float32Array> {
  const checkpoint = await loadCheckpoint(directory);
  const folded = InferenceModel.fromResNet(checkpoint.model, checkpoint.metadata.model);
  const logits = folded.predict(images);
  const values = logits.dataSync() as Float32Array;
  tf.dispose([logits, ...checkpoint.momentumBuffers.values()]);
  folded.dispose();
  checkpoint.model.dispose();
  return values;
}

async function logitsThroughStoredWeights(directory: string, images: tf.Tensor4D): Promise<Float32Array> {
  const { model } = await loadInferenceCheckpoint(directory);
  const logits = model.predict(images);
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  model.dispose();
  return values;
}

describe('loadInferenceCheckpoint', () => {
  describe.each(['cpu', 'wasm'])('on %s', (backend) => {
    it.each(MODELS)(
      "gives fromResNet's logits on the loaded layers model bit for bit, and holds only its own tensors, %s",
      async (name, input) => {
        await tf.setBackend(backend);
        const directory = await writeCheckpoint(`${name}-${backend}`, input, 5);
        const images = randomImages(input, 6);
        const expected = await logitsThroughLayersModel(directory, images);

        const before = tf.memory().numTensors;
        const loaded = await loadInferenceCheckpoint(directory);
        // A kernel and a bias for each convolution and the linear layer (none where the whole network runs in
        // oneDNN's addon): nothing of a layers model or of the optimizer's momentum buffers.
        const convolutions = allConvs(planResNet(resolveResNetConfig(input))).length;
        expect(tf.memory().numTensors - before).toBe(loaded.model.native ? 0 : convolutions * 2 + 2);
        const logits = loaded.model.predict(images);
        expect(logits.shape).toEqual([BATCH, resolveResNetConfig(input).classes]);
        expect(expected.every(Number.isFinite)).toBe(true);
        expect(logits.dataSync()).toEqual(expected);
        expect(loaded.metadata).toEqual(await readCheckpointMetadata(directory));
        expect(loaded.directory).toBe(directory);
        logits.dispose();
        loaded.model.dispose();
        expect(tf.memory().numTensors).toBe(before);
        images.dispose();
      },
    );
  });

  it('does not build the layers model: a topology that tfjs-layers cannot deserialize still loads', async () => {
    await tf.setBackend('cpu');
    const undeserializable = await rewriteCheckpoint(resnet18, 'unknown-layer-class', (weights, layers) => {
      layers.find((layer) => layer.config['name'] === 'avgpool')!.class_name = 'NoSuchLayer';
      return weights;
    });
    await expect(loadCheckpoint(undeserializable)).rejects.toThrow(/Unknown layer: NoSuchLayer/);
    const images = randomImages(RESNET18, 7);
    expect(await logitsThroughStoredWeights(undeserializable, images)).toEqual(
      await logitsThroughLayersModel(resnet18, images),
    );
    images.dispose();
  });

  it("takes each batch norm's epsilon from the stored topology", async () => {
    await tf.setBackend('cpu');
    const epsilon = await rewriteCheckpoint(resnet18, 'epsilon-0.01', (weights, layers) => {
      for (const layer of layers) if (layer.class_name === 'BatchNormalization') layer.config['epsilon'] = 0.01;
      return weights;
    });
    const images = randomImages(RESNET18, 8);
    const actual = await logitsThroughStoredWeights(epsilon, images);
    expect(actual).toEqual(await logitsThroughLayersModel(epsilon, images));
    expect(actual).not.toEqual(await logitsThroughStoredWeights(resnet18, images));
    images.dispose();
  });

  describe('refuses a damaged checkpoint, naming it, the layer and the damage, and keeps no tensor', () => {
    const CASES = [
      [
        'a weight missing',
        (weights: StoredWeight[]) => weights.filter(({ spec }) => spec.name !== 'layer1.0.bn2/moving_variance'),
        "Expected layer 'layer1.0.bn2' to have a weight 'moving_variance', got: layer1.0.bn2/gamma, " +
          'layer1.0.bn2/beta, layer1.0.bn2/moving_mean.',
      ],
      [
        'a layer missing',
        (weights: StoredWeight[]) => weights.filter(({ spec }) => !spec.name.startsWith('linear/')),
        "Expected the stored weights to have a layer 'linear', as its ResNet config plans.",
      ],
      [
        "a kernel's shape",
        (weights: StoredWeight[]) =>
          weights.map((weight) =>
            weight.spec.name === 'layer2.0.conv1/kernel'
              ? { ...weight, spec: { ...weight.spec, shape: [3, 3, 8, 4] } }
              : weight,
          ),
        "Expected layer2.0.conv1's kernel to have shape [3, 3, 4, 8] for the ResNet config, got [3, 3, 8, 4].",
      ],
      [
        "a batch norm weight's shape",
        (weights: StoredWeight[]) =>
          weights.map((weight) =>
            weight.spec.name === 'bn1/beta' ? { ...weight, spec: { ...weight.spec, shape: [2, 2] } } : weight,
          ),
        "Expected bn1's beta to have shape [4] for the ResNet config, got [2, 2].",
      ],
    ] as const;

    it.each(CASES)('%s', async (name, edit, message) => {
      await tf.setBackend('cpu');
      const damaged = await rewriteCheckpoint(resnet18, name.replaceAll(/\W+/g, '-'), edit);
      const before = tf.memory().numTensors;
      const error: unknown = await loadInferenceCheckpoint(damaged).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ModelDirectoryError);
      expect((error as Error).message).toBe(
        `Checkpoint ${damaged} does not hold the resnet18 its metadata describes: ${message}`,
      );
      expect(tf.memory().numTensors).toBe(before);
    });

    it('a batch norm without an epsilon in the topology', async () => {
      await tf.setBackend('cpu');
      const damaged = await rewriteCheckpoint(resnet18, 'no-epsilon', (weights, layers) => {
        delete layers.find((layer) => layer.config['name'] === 'layer3.1.bn2')!.config['epsilon'];
        return weights;
      });
      await expect(loadInferenceCheckpoint(damaged)).rejects.toThrow(
        `Checkpoint ${damaged} does not hold the resnet18 its metadata describes: ` +
          'Expected batch norm layer3.1.bn2 to have a numeric epsilon, got undefined.',
      );
    });
  });
});
