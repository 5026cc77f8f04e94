import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { buildResNet, exportStateDict, readSafetensors, writeSafetensors } from '@resnet-lab/resnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageFolder } from '../../test-support/index.js';
import { useBackend } from '../backend/index.js';
import { CIFAR10_CLASS_NAMES, CIFAR10_NORMALIZATION } from '../data/index.js';
import { readCheckpointMetadata } from '../training/checkpoint.js';
import { predictImages } from '../training/predict-images.js';
import { runCli } from './run-cli.js';

let root: string;
let weightsFile: string;
let images: string;
let model: tf.LayersModel;
const SHAPE = ['--arch', 'resnet18', '--width', '0.0625'];
beforeAll(async () => {
  await useBackend('wasm');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'import-command-'));
  // As PyTorch would save the seed's ResNet18 at width 1/16: every key of its state_dict.
  model = buildResNet({ arch: 'resnet18', width: 1 / 16 }, { seed: 4 });
  weightsFile = path.join(root, 'resnet18.safetensors');
  await fs.writeFile(weightsFile, writeSafetensors(exportStateDict(model)));
  images = path.join(root, 'images');
  await writeImageFolder(images, { classNames: CIFAR10_CLASS_NAMES, perClass: 2 });
});
afterAll(async () => {
  model.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

async function resnetLab(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

describe('resnet-lab import and export', () => {
  it('imports a state dict that eval, predict, export and train --resume then use', async () => {
    const out = path.join(root, 'imported');
    const imported = await resnetLab('import', weightsFile, ...SHAPE, '--backend', 'wasm', '--out', out);
    expect(imported.stderr).toBe('');
    expect(imported.exitCode).toBe(0);
    const { sha256 } = (await readCheckpointMetadata(out)).source!;
    expect(imported.stdout).toBe(
      `Imported ${weightsFile} (sha256 ${sha256}) as resnet18 (cifar stem, width 0.0625, 10 classes, 32x32 input)\n` +
        `Classes: ${CIFAR10_CLASS_NAMES.join(', ')}\n` +
        'Normalization: mean 0.4914, 0.4822, 0.4465; std 0.2023, 0.1994, 0.201\n' +
        `Checkpoint: ${out}\n`,
    );

    // A folder of images, not the training data of any run: evaluated whole.
    const evaluated = await resnetLab('eval', '--checkpoint', out, '--data', images, '--backend', 'wasm', '--json');
    expect(evaluated.stderr).toBe('');
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ location: images, split: 'all', count: 20 });

    // The same probabilities as the model the file was written from.
    const image = path.join(images, 'cat', '000.png');
    const predicted = await resnetLab('predict', '--checkpoint', out, image, '--backend', 'wasm', '--json');
    expect(predicted.exitCode).toBe(0);
    const input = { source: image, bytes: new Uint8Array(await fs.readFile(image)) };
    const expected = await predictImages(
      { model, classNames: CIFAR10_CLASS_NAMES, normalization: CIFAR10_NORMALIZATION },
      [input],
      3,
    );
    expect(JSON.parse(predicted.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));

    const exportedFile = path.join(root, 'exported.safetensors');
    const exported = await resnetLab('export', out, '--format', 'safetensors', '--out', exportedFile, '--json');
    expect(exported.stderr).toBe('');
    const original = readSafetensors(new Uint8Array(await fs.readFile(weightsFile)));
    const bytes = new Uint8Array(await fs.readFile(exportedFile));
    const roundTripped = readSafetensors(bytes);
    expect([...roundTripped.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
    for (const [key, tensor] of original.tensors) {
      expect(Buffer.from(roundTripped.tensors.get(key)!.data).equals(Buffer.from(tensor.data)), key).toBe(true);
    }
    expect(JSON.parse(exported.stdout)).toMatchObject({ file: exportedFile, bytes: bytes.byteLength, tensors: 122 });

    // Fine-tuning: the imported checkpoint resumed on a dataset, with its architecture taken from the checkpoint.
    const tuned = await resnetLab(
      'train',
      ...['--resume', out, '--data', images, '--epochs', '1', '--batch-size', '10', '--backend', 'wasm'],
      ...['--out', path.join(root, 'tuned'), '--json'],
    );
    expect(tuned.stderr).toBe('');
    expect(tuned.exitCode).toBe(0);
    expect(JSON.parse(tuned.stdout.split('\n')[0]!)).toMatchObject({
      kind: 'start',
      firstEpoch: 1,
      trainImages: 20,
      testImages: 0,
    });
  });

  it('exits 2 naming the first key that does not fit the architecture given, and writes nothing', async () => {
    const out = path.join(root, 'wrong-arch');
    const run = await resnetLab('import', weightsFile, '--arch', 'resnet34', '--width', '0.0625', '--out', out);
    expect(run).toEqual({
      exitCode: 2,
      stdout: '',
      stderr:
        "resnet-lab import: The state dict has no 'layer1.2.conv1.weight', which resnet34 (cifar stem, width " +
        '0.0625, 10 classes, 32x32 input) needs with shape [4, 4, 3, 3].\n',
    });
    await expect(fs.access(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    [['import', 'FILE', '--out', 'x'], 'Missing --arch: one of resnet18, resnet34, resnet50, resnet101, resnet152.'],
    [['import', 'FILE', ...SHAPE], 'Missing --out <checkpoint-dir>.'],
    [['import', ...SHAPE, '--out', 'x'], 'Expected one <file.safetensors>, got 0:'],
    [
      ['import', 'FILE', ...SHAPE, '--normalization', 'dataset', '--out', 'x'],
      "Expected --normalization to be one of cifar10, imagenet, none, got 'dataset'.",
    ],
    [
      ['import', 'FILE', ...SHAPE, '--mean', '0.5,0.5', '--std', '0.2,0.2,0.2', '--out', 'x'],
      "Expected --mean to be three comma-separated numbers (R, G, B), got '0.5,0.5'.",
    ],
    [
      ['import', 'FILE', ...SHAPE, '--class-names', 'cat,dog', '--out', 'x'],
      'Expected 10 class names (one per output of the model), got 2: ["cat","dog"].',
    ],
    [
      ['import', 'IMAGE', ...SHAPE, '--out', 'x'],
      expect.stringMatching(/^The header length \d+ exceeds the file/) as unknown as string,
    ],
    [
      ['export', 'CHECKPOINT', '--format', 'onnx', '--out', 'x'],
      "Expected --format to be one of safetensors, got 'onnx'.",
    ],
    [['export', 'CHECKPOINT'], 'Missing --out <file.safetensors>.'],
  ])('%j exits 2: %s', async (argv, message) => {
    const files: Record<string, string> = {
      FILE: weightsFile,
      IMAGE: path.join(images, 'cat', '000.png'),
      CHECKPOINT: path.join(root, 'imported'),
    };
    const run = await resnetLab(...argv.map((value) => files[value] ?? value));
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    const [, prefix, detail] = /^(resnet-lab \w+): (.*)\n$/.exec(run.stderr) ?? [];
    expect(prefix).toBe(`resnet-lab ${argv[0]}`);
    if (typeof message === 'string') expect(detail).toBe(message);
    else expect(detail).toEqual(message);
  });

  it('lists both commands in the usage', async () => {
    const { stdout } = await resnetLab('--help');
    expect(stdout).toContain('  import     a PyTorch state_dict in safetensors as a checkpoint\n');
    expect(stdout).toContain("  export     a checkpoint's weights as a PyTorch state_dict in safetensors\n");
  });
});
