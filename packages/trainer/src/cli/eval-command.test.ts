import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageFolder } from '../../test-support/index.js';
import { runCli } from './run-cli.js';

const CLASSES = ['cat', 'dog'];
let root: string;
let trainedOn: string;
let checkpoint: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'eval-command-'));
  trainedOn = path.join(root, 'training-data');
  await writeImageFolder(trainedOn, { classNames: CLASSES, perClass: 5 });
  const out = path.join(root, 'run');
  const trained = await resnetLab(
    'train',
    ...['--data', trainedOn, '--width', '0.0625', '--epochs', '1', '--batch-size', '8', '--backend', 'wasm'],
    ...['--cache-dir', path.join(root, 'cache'), '--out', out, '--json'],
  );
  expect(trained.exitCode).toBe(0);
  checkpoint = path.join(out, 'checkpoints', 'last');
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function resnetLab(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

async function evaluate(...options: string[]) {
  const run = await resnetLab(
    'eval',
    ...['--checkpoint', checkpoint, '--backend', 'wasm', '--cache-dir', path.join(root, 'cache'), '--json'],
    ...options,
  );
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  const evaluation = JSON.parse(run.stdout) as {
    location: string;
    split: string;
    count: number;
    confusionMatrix: number[][];
  };
  return {
    location: evaluation.location,
    split: evaluation.split,
    count: evaluation.count,
    perClass: evaluation.confusionMatrix.map((row) => row.reduce((total, count) => total + count, 0)),
  };
}

describe('resnet-lab eval on a whole folder', () => {
  it('evaluates every image of a folder of 10 images per class by default, not its last 10%', async () => {
    const folder = path.join(root, 'ten-per-class');
    await writeImageFolder(folder, { classNames: CLASSES, perClass: 10 });
    expect(await evaluate('--data', folder)).toEqual({ location: folder, split: 'all', count: 20, perClass: [10, 10] });
    expect(await evaluate('--data', folder, '--split', 'all')).toEqual({
      location: folder,
      split: 'all',
      count: 20,
      perClass: [10, 10],
    });
    expect(await evaluate('--data', folder, '--split', 'test')).toEqual({
      location: folder,
      split: 'test',
      count: 2,
      perClass: [1, 1],
    });
    expect(await evaluate('--data', folder, '--split', 'train')).toEqual({
      location: folder,
      split: 'train',
      count: 18,
      perClass: [9, 9],
    });
  });

  it('evaluates the held-out split of the training data, and train/ + test/ together with --split all', async () => {
    expect(await evaluate()).toEqual({ location: trainedOn, split: 'test', count: 2, perClass: [1, 1] });
    expect(await evaluate('--split', 'all')).toEqual({
      location: trainedOn,
      split: 'all',
      count: 10,
      perClass: [5, 5],
    });

    const layout = path.join(root, 'layout');
    await writeImageFolder(path.join(layout, 'train'), { classNames: CLASSES, perClass: 4 });
    await writeImageFolder(path.join(layout, 'test'), { classNames: CLASSES, perClass: 3 });
    expect(await evaluate('--data', layout)).toEqual({ location: layout, split: 'test', count: 6, perClass: [3, 3] });
    expect(await evaluate('--data', layout, '--split', 'all')).toEqual({
      location: layout,
      split: 'all',
      count: 14,
      perClass: [7, 7],
    });
  });

  it('names the data and split above the figures', async () => {
    const folder = path.join(root, 'printed');
    await writeImageFolder(folder, { classNames: CLASSES, perClass: 3 });
    const run = await resnetLab('eval', '--checkpoint', checkpoint, '--backend', 'wasm', '--data', folder);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.split('\n').slice(0, 2)).toEqual([
      `Data: ${folder}, split all`,
      expect.stringMatching(/^Accuracy: \d+\/6 = \d\.\d{4}$/),
    ]);
  });

  it('exits 2 naming the allowed splits for an unknown one', async () => {
    expect(await resnetLab('eval', '--checkpoint', checkpoint, '--split', 'validation')).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "resnet-lab eval: Expected --split to be one of test, train, all, got 'validation'.\n",
    });
  });
});
