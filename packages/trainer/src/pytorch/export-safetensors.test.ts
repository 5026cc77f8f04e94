import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportStateDict, readSafetensors } from '@resnet-lab/resnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_CLASS_NAMES, makeSyntheticDataset } from '../data/index.js';
import { loadCheckpoint } from '../training/checkpoint.js';
import { evaluateModel } from '../training/evaluate-model.js';
import { train } from '../training/train.js';
import { exportSafetensors } from './export-safetensors.js';
import { importSafetensors } from './import-safetensors.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'export-safetensors-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('exportSafetensors of a trained checkpoint', () => {
  it('writes its weights and running statistics, which imported back evaluate exactly as the checkpoint', async () => {
    const data = makeSyntheticDataset({ classes: 4, trainCount: 64, testCount: 32, imageSize: 16, seed: 1 });
    const result = await train(
      {
        data: 'synthetic',
        width: 1 / 16,
        epochs: 1,
        batchSize: 16,
        schedule: 'constant',
        seed: 2,
        backend: 'wasm',
      },
      { outDir: path.join(root, 'run'), dataset: data },
    );
    const trained = result.lastCheckpoint!;
    const bytes = await exportSafetensors(trained);
    const file = readSafetensors(bytes);

    const checkpoint = await loadCheckpoint(trained);
    checkpoint.momentumBuffers.forEach((tensor) => tensor.dispose());
    const { classNames, normalization } = checkpoint.metadata;
    expect(classNames).toEqual(SYNTHETIC_CLASS_NAMES.slice(0, 4));
    expect(file.metadata).toEqual({
      format: 'pt',
      producer: 'resnet-lab',
      arch: 'resnet18',
      stem: 'cifar',
      width: '0.0625',
      classes: '4',
      inputSize: '16',
      classNames: JSON.stringify(classNames),
      normalization: JSON.stringify(normalization),
      epoch: '1',
      init: 'pytorch-default',
    });
    // 20 convolutions, 20 batch norms of 5 entries, the linear layer's weight and bias.
    expect(file.tensors.size).toBe(122);
    expect(file.tensors.get('layer1.0.bn1.num_batches_tracked')).toEqual({
      dtype: 'I64',
      shape: [],
      data: new Uint8Array(8),
    });
    // The running statistics moved away from their initial 0 and 1 during the epoch: they are the trained ones.
    const runningMean = new Float32Array(file.tensors.get('bn1.running_mean')!.data.slice().buffer);
    expect(runningMean.some((value) => value !== 0)).toBe(true);
    for (const [key, tensor] of exportStateDict(checkpoint.model)) {
      expect(Buffer.from(file.tensors.get(key)!.data).equals(Buffer.from(tensor.data)), key).toBe(true);
    }

    const imported = await importSafetensors({
      bytes,
      model: checkpoint.metadata.model,
      out: path.join(root, 'imported'),
    });
    expect(imported.classNames).toEqual(classNames);
    expect(imported.normalization).toEqual(normalization);
    const reloaded = await loadCheckpoint(imported.directory);
    const options = { batchSize: 16, normalization };
    const [original, roundTripped] = [
      await evaluateModel(checkpoint.model, data.test, options),
      await evaluateModel(reloaded.model, data.test, options),
    ];
    expect(roundTripped).toEqual(original);
    expect(original.count).toBe(32);
    checkpoint.model.dispose();
    reloaded.model.dispose();
  });
});
