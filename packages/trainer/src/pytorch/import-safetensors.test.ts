import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  StateDictMismatchError,
  buildResNet,
  exportStateDict,
  readSafetensors,
  writeSafetensors,
  type ResNetConfigInput,
  type SafetensorsTensor,
} from '@resnet-lab/resnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../backend/index.js';
import { CIFAR10_CLASS_NAMES, CIFAR10_NORMALIZATION, IMAGENET_NORMALIZATION } from '../data/index.js';
import { loadCheckpoint } from '../training/checkpoint.js';
import { exportSafetensors } from './export-safetensors.js';
import { SafetensorsImportError, importSafetensors } from './import-safetensors.js';

let root: string;
/** A resnet18 file that the mismatch and option tests import. */
let resnet18File: Uint8Array;
beforeAll(async () => {
  await useBackend('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'import-safetensors-'));
  resnet18File = stateDictOf(SMALL_CIFAR).bytes;
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const SMALL_CIFAR = { arch: 'resnet18', stem: 'cifar', width: 1 / 16, classes: 10 } as const;
const SMALL_IMAGENET = { arch: 'resnet50', stem: 'imagenet', width: 1 / 16, classes: 5, inputSize: 32 } as const;

/** A built model's state dict (batch-norm statistics made non-trivial) and the same as a safetensors file. */
function stateDictOf(config: ResNetConfigInput, numBatchesTracked = 0) {
  const model = buildResNet(config, { seed: 5 });
  // Running statistics start at 0 and 1: give them values, so that a round trip that skipped them would show.
  for (const weight of model.weights.filter(({ originalName }) => /moving_(mean|variance)$/.test(originalName))) {
    weight.write(tf.tidy(() => tf.randomUniform(weight.shape as number[], 0.5, 1.5, 'float32', 9)));
  }
  const stateDict = exportStateDict(model, { numBatchesTracked });
  model.dispose();
  return { stateDict, bytes: writeSafetensors(stateDict) };
}

function sameTensors(actual: ReadonlyMap<string, SafetensorsTensor>, expected: ReadonlyMap<string, SafetensorsTensor>) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, tensor] of expected) {
    const other = actual.get(key)!;
    expect({ key, dtype: other.dtype, shape: other.shape }).toEqual({ key, dtype: tensor.dtype, shape: tensor.shape });
    expect(Buffer.from(other.data).equals(Buffer.from(tensor.data)), key).toBe(true);
  }
}

/** Inference-mode logits of the checkpoint's model on fixed random images. */
async function logitsOf(directory: string, inputSize: number): Promise<Float32Array> {
  const checkpoint = await loadCheckpoint(directory);
  const logits = tf.tidy(() => {
    const images = tf.randomNormal([3, inputSize, inputSize, 3], 0, 1, 'float32', 11);
    return (checkpoint.model.apply(images, { training: false }) as tf.Tensor).dataSync() as Float32Array;
  });
  checkpoint.model.dispose();
  return logits;
}

describe('importSafetensors and exportSafetensors', () => {
  it.each([
    ['resnet18, cifar stem', SMALL_CIFAR, CIFAR10_CLASS_NAMES, CIFAR10_NORMALIZATION, 122],
    [
      'resnet50, imagenet stem',
      SMALL_IMAGENET,
      ['class0', 'class1', 'class2', 'class3', 'class4'],
      IMAGENET_NORMALIZATION,
      320,
    ],
  ])(
    '%s: imports the exact weights into a checkpoint of epoch 0 and exports them back bitwise',
    async (_, config, classNames, normalization, tensorCount) => {
      const { stateDict, bytes } = stateDictOf(config, 7);
      expect(stateDict.size).toBe(tensorCount);
      const out = path.join(root, `round-trip-${config.arch}`);
      const imported = await importSafetensors({
        bytes,
        model: config,
        sourceName: '/downloads/model.safetensors',
        out,
      });

      expect(imported.model).toEqual({ inputSize: 32, ...config });
      const checkpoint = await loadCheckpoint(out);
      checkpoint.model.dispose();
      expect(checkpoint.momentumBuffers.size).toBe(0);
      const { savedAt, source, ...metadata } = checkpoint.metadata;
      expect(metadata).toEqual({
        format: 'resnet-lab-checkpoint',
        version: 1,
        epoch: 0,
        config: null,
        model: imported.model,
        classNames,
        normalization,
        metrics: null,
        history: [],
        bestTestAccuracy: null,
        backend: null,
      });
      expect(Date.parse(savedAt)).not.toBeNaN();
      expect(source).toEqual({
        format: 'safetensors',
        file: 'model.safetensors',
        sha256: imported.source.sha256,
        metadata: {},
        numBatchesTracked: 7,
      });
      expect(imported.source.sha256).toMatch(/^[0-9a-f]{64}$/);

      // Exported back: every tensor bitwise equal, num_batches_tracked included.
      const exported = readSafetensors(await exportSafetensors(out));
      sameTensors(exported.tensors, stateDict);
      expect(exported.metadata).toEqual({
        format: 'pt',
        producer: 'resnet-lab',
        arch: config.arch,
        stem: config.stem,
        width: '0.0625',
        classes: String(config.classes),
        inputSize: '32',
        classNames: JSON.stringify(classNames),
        normalization: JSON.stringify(normalization),
        epoch: '0',
      });

      // Imported again from the export: the same model, computing the same logits in inference mode.
      const again = path.join(root, `again-${config.arch}`);
      await importSafetensors({ bytes: await exportSafetensors(out), model: config, out: again });
      const [first, second] = [await logitsOf(out, 32), await logitsOf(again, 32)];
      expect(first).toHaveLength(3 * config.classes);
      expect(second).toEqual(first);
    },
  );

  it('takes class names and normalization from a resnet-lab export, unless given', async () => {
    const out = path.join(root, 'named');
    const { bytes } = stateDictOf({ ...SMALL_CIFAR, classes: 3 });
    await importSafetensors({
      bytes,
      model: { ...SMALL_CIFAR, classes: 3 },
      classNames: ['cat', 'dog', 'fox'],
      normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
      out,
    });
    const exported = await exportSafetensors(out);

    const reimported = await importSafetensors({
      bytes: exported,
      model: { ...SMALL_CIFAR, classes: 3 },
      out: path.join(root, 'named-again'),
    });
    expect(reimported.classNames).toEqual(['cat', 'dog', 'fox']);
    expect(reimported.normalization).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });

    const overridden = await importSafetensors({
      bytes: exported,
      model: { ...SMALL_CIFAR, classes: 3 },
      classNames: ['a', 'b', 'c'],
      normalization: null,
      out: path.join(root, 'named-overridden'),
    });
    expect(overridden.classNames).toEqual(['a', 'b', 'c']);
    expect(overridden.normalization).toBeNull();
  });

  it.each([
    [
      'another architecture',
      { ...SMALL_CIFAR, arch: 'resnet34' },
      'layer1.2.conv1.weight',
      [4, 4, 3, 3],
      null,
      "The state dict has no 'layer1.2.conv1.weight', which resnet34 (cifar stem, width 0.0625, 10 classes, 32x32 " +
        'input) needs with shape [4, 4, 3, 3].',
    ],
    [
      'a bottleneck architecture',
      { ...SMALL_CIFAR, arch: 'resnet50' },
      'layer1.0.conv1.weight',
      [4, 4, 1, 1],
      [4, 4, 3, 3],
      "'layer1.0.conv1.weight' has shape [4, 4, 3, 3] in the state dict; resnet50 (cifar stem, width 0.0625, 10 " +
        'classes, 32x32 input) expects [4, 4, 1, 1].',
    ],
    [
      'another width',
      { ...SMALL_CIFAR, width: 0.125 },
      'conv1.weight',
      [8, 3, 3, 3],
      [4, 3, 3, 3],
      "'conv1.weight' has shape [4, 3, 3, 3] in the state dict; resnet18 (cifar stem, width 0.125, 10 classes, " +
        '32x32 input) expects [8, 3, 3, 3].',
    ],
    [
      'another class count',
      { ...SMALL_CIFAR, classes: 100 },
      'linear.weight',
      [100, 32],
      [10, 32],
      "'linear.weight' has shape [10, 32] in the state dict; resnet18 (cifar stem, width 0.0625, 100 classes, " +
        '32x32 input) expects [100, 32].',
    ],
  ])(
    'refuses a file of %s, naming the first mismatching key and both shapes',
    async (_, model, key, expected, actual, message) => {
      const out = path.join(root, `mismatch-${model.arch}-${model.width}-${model.classes}`);
      const error = await importSafetensors({ bytes: resnet18File, model, out }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StateDictMismatchError);
      expect(error).toMatchObject({ key, expectedShape: expected, actualShape: actual, message });
      // Nothing is written for a file that does not fit.
      await expect(fs.access(out)).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it.each([
    [
      { classNames: ['cat', 'dog'] },
      'classNames',
      'Expected 10 class names (one per output of the model), got 2: ["cat","dog"].',
    ],
    [
      { classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'a'] },
      'classNames',
      'Expected distinct, non-empty class names, got "a" in ["a","b","c","d","e","f","g","h","i","a"].',
    ],
    [
      { normalization: { mean: [0.5, 0.5, 0.5], std: [0.2, 0, 0.2] } as const },
      'normalization',
      'Expected normalization to be 3 finite means and 3 positive standard deviations (R, G, B), got ' +
        '{"mean":[0.5,0.5,0.5],"std":[0.2,0,0.2]}.',
    ],
  ])('refuses %j naming the field %s', async (options, field, message) => {
    const error = await importSafetensors({
      bytes: resnet18File,
      model: SMALL_CIFAR,
      out: path.join(root, 'refused'),
      ...options,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SafetensorsImportError);
    expect(error).toMatchObject({ field, message });
  });

  it('refuses to write over a directory that holds a model', async () => {
    const out = path.join(root, 'taken');
    await importSafetensors({ bytes: resnet18File, model: SMALL_CIFAR, out });
    const error = await importSafetensors({ bytes: resnet18File, model: SMALL_CIFAR, out }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SafetensorsImportError);
    expect(error).toMatchObject({
      field: 'out',
      message: `${out} already holds a model (model.json); give a new directory for the imported checkpoint.`,
    });
  });
});
