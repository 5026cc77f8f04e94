import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildResNet } from '@resnet-lab/resnet';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem, type DurableFileSystem } from './atomic-file.js';
import { DiskFullError } from './disk-full.js';
import {
  ModelDirectoryError,
  loadModelFromDirectory,
  readModelArtifacts,
  saveModelToDirectory,
} from './model-directory.js';

let directory: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(async () => {
  directory = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'model-directory-')), 'model');
});
afterEach(async () => {
  await fs.rm(path.dirname(directory), { recursive: true, force: true });
});

const images = () => tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 42);

function logitsOf(model: tf.LayersModel): number[] {
  return tf.tidy(() => Array.from((model.predict(images()) as tf.Tensor).dataSync()));
}

/** A file system that fails at its `failAt`-th operation, as a crash at that point of the save would. */
function failingFileSystem(failAt: number): DurableFileSystem {
  let operation = 0;
  const step = () => {
    if (operation++ === failAt) throw new Error(`simulated crash at operation ${failAt}`);
  };
  return {
    writeFileDurably: async (filePath, data) => {
      step();
      await nodeFileSystem.writeFileDurably(filePath, data);
    },
    rename: async (from, to) => {
      step();
      await nodeFileSystem.rename(from, to);
    },
  };
}

describe('saveModelToDirectory / loadModelFromDirectory', () => {
  it('loads back a model that gives identical outputs and weights', async () => {
    const model = buildResNet({ arch: 'resnet18', width: 0.125 }, { seed: 1 });
    const saved = await saveModelToDirectory(model, directory, { metadata: { epoch: 3, classNames: ['cat', 'dog'] } });
    const loaded = await loadModelFromDirectory(directory);

    expect(logitsOf(loaded)).toEqual(logitsOf(model));
    expect(loaded.layers.map((layer) => layer.name)).toEqual(model.layers.map((layer) => layer.name));
    const weightNames = (m: tf.LayersModel) => m.weights.map((weight) => weight.originalName);
    expect(weightNames(loaded)).toEqual(weightNames(model));
    loaded.getWeights().forEach((weight, index) => {
      expect(Array.from(weight.dataSync())).toEqual(Array.from(model.getWeights()[index]!.dataSync()));
    });
    expect((await readModelArtifacts(directory)).userDefinedMetadata).toEqual({ epoch: 3, classNames: ['cat', 'dog'] });
    expect((await fs.readdir(directory)).sort()).toEqual(['model.json', saved.weightsFile]);
    // Weights plus batch-norm statistics of the 1/8-width network, float32.
    expect(saved.weightBytes).toBe(4 * model.countParams());
    model.dispose();
    loaded.dispose();
  });

  // Operations of a save: 0 write weights temp, 1 rename weights, 2 write model.json temp, 3 rename model.json.
  it.each([0, 1, 2, 3])(
    'keeps the previous model intact when a save is interrupted at operation %i',
    async (failAt) => {
      const previous = buildResNet({ arch: 'resnet18', width: 0.125 }, { seed: 1 });
      const next = buildResNet({ arch: 'resnet18', width: 0.125 }, { seed: 2 });
      await saveModelToDirectory(previous, directory);
      expect(logitsOf(next)).not.toEqual(logitsOf(previous));

      await expect(saveModelToDirectory(next, directory, { fileSystem: failingFileSystem(failAt) })).rejects.toThrow(
        `simulated crash at operation ${failAt}`,
      );
      const loaded = await loadModelFromDirectory(directory);
      expect(logitsOf(loaded)).toEqual(logitsOf(previous));

      // The next successful save replaces it and clears what the interrupted one left behind.
      await saveModelToDirectory(next, directory);
      const replaced = await loadModelFromDirectory(directory);
      expect(logitsOf(replaced)).toEqual(logitsOf(next));
      expect(await fs.readdir(directory)).toHaveLength(2);
      [previous, next, loaded, replaced].forEach((model) => model.dispose());
    },
  );

  // Linux's /dev/full fails every write with ENOSPC, as a full disk does.
  it.skipIf(!existsSync('/dev/full'))(
    'says where and how much space is left when the disk is full, and keeps the previous model',
    async () => {
      const previous = buildResNet({ arch: 'resnet18', width: 0.0625 }, { seed: 1 });
      const next = buildResNet({ arch: 'resnet18', width: 0.0625 }, { seed: 2 });
      const saved = await saveModelToDirectory(previous, directory);
      const modelJsonBytes = (await fs.stat(path.join(directory, 'model.json'))).size;
      const fullDisk: DurableFileSystem = {
        ...nodeFileSystem,
        writeFileDurably: (_filePath, data) => nodeFileSystem.writeFileDurably('/dev/full', data),
        freeSpace: () => Promise.resolve(300 * 1024),
      };

      const error = await saveModelToDirectory(next, directory, { fileSystem: fullDisk }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(DiskFullError);
      expect((error as Error).message).toBe(
        `No space left on device writing model (0.2 MiB) to ${directory}: 0.3 MiB free; free some space or write to ` +
          'another disk.',
      );
      expect((error as DiskFullError).details.bytes).toBe(saved.weightBytes + modelJsonBytes);
      expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
      const loaded = await loadModelFromDirectory(directory);
      expect(logitsOf(loaded)).toEqual(logitsOf(previous));
      [previous, next, loaded].forEach((model) => model.dispose());
    },
  );

  it('rejects a corrupt weights file, naming it', async () => {
    const model = buildResNet({ arch: 'resnet18', width: 0.0625 });
    const { weightsFile } = await saveModelToDirectory(model, directory);
    const weightsPath = path.join(directory, weightsFile);
    const bytes = await fs.readFile(weightsPath);
    bytes[100] = bytes[100]! ^ 0xff;
    await fs.writeFile(weightsPath, bytes);
    const error = await loadModelFromDirectory(directory).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelDirectoryError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Weights file .*${weightsFile} is corrupt: its sha256 starts [0-9a-f]{16}, not [0-9a-f]{16}\\.$`),
    );
    model.dispose();
  });

  it('rejects truncated weights and a directory without a model', async () => {
    const model = buildResNet({ arch: 'resnet18', width: 0.0625 });
    const { weightsFile, weightBytes } = await saveModelToDirectory(model, directory);
    // Renamed to a name without a hash, the size check is what catches the truncation.
    const modelJsonPath = path.join(directory, 'model.json');
    const modelJson = JSON.parse(await fs.readFile(modelJsonPath, 'utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    modelJson.weightsManifest[0]!.paths = ['weights.bin'];
    await fs.writeFile(modelJsonPath, JSON.stringify(modelJson));
    await fs.writeFile(
      path.join(directory, 'weights.bin'),
      (await fs.readFile(path.join(directory, weightsFile))).subarray(0, 1000),
    );
    await expect(loadModelFromDirectory(directory)).rejects.toThrow(
      `Weights of ${modelJsonPath} hold 1000 bytes, but its manifest describes ${weightBytes}.`,
    );

    await expect(loadModelFromDirectory(path.join(directory, 'missing'))).rejects.toThrow(
      `No saved model at ${path.join(directory, 'missing')}: cannot read model.json.`,
    );
    model.dispose();
  });
});
