// pytorch/yardstick.py, the PyTorch side of `npm run bench:yardstick`, must train on exactly the data resnet-lab
// trains on: the same classes, split, order, pixels and normalization of an image folder.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeNormalization, loadDataset } from '@resnet-lab/trainer';
import { writeImageFolder } from '@resnet-lab/trainer/test-support';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../pytorch/yardstick.py', import.meta.url));
const pythonReady = spawnSync(PYTHON, ['-c', 'import torch, PIL'], { stdio: 'ignore' }).status === 0;
if (!pythonReady) {
  console.warn(
    `Skipping yardstick-data tests: ${PYTHON} cannot import torch and PIL (apt-get install python3-torch python3-pil).`,
  );
}

interface DataDescription {
  readonly classNames: readonly string[];
  readonly trainLabels: readonly number[];
  readonly testLabels: readonly number[];
  readonly trainPixelsSha256: string;
  readonly testPixelsSha256: string;
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

async function describeWithResnetLab(
  location: string,
  options: { testFraction: number; limitPerClass?: number },
): Promise<DataDescription> {
  const { train, test } = await loadDataset(location, options);
  const normalization = computeNormalization(train);
  return {
    classNames: train.classNames,
    trainLabels: Array.from(train.labels),
    testLabels: Array.from(test.labels),
    trainPixelsSha256: sha256(train.images),
    testPixelsSha256: sha256(test.images),
    normalization: { mean: [...normalization.mean], std: [...normalization.std] },
  };
}

function describeWithYardstick(location: string, options: { testFraction: number; limitPerClass?: number }) {
  const args = [SCRIPT, '--data', location, '--describe-data', '--test-fraction', String(options.testFraction)];
  if (options.limitPerClass !== undefined) args.push('--limit-per-class', String(options.limitPerClass));
  const result = spawnSync(PYTHON, args, { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as DataDescription;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writePng(file: string, width: number, height: number, colorType: 0 | 2): Promise<void> {
  const png = new PNG({ width, height });
  for (let pixel = 0; pixel < width * height; pixel++) {
    const value = (pixel * 29) % 256;
    png.data.set([value, (value * 3) % 256, 255 - value, 255], pixel * 4);
  }
  await fs.writeFile(file, PNG.sync.write(png, { colorType }));
}

describe.skipIf(!pythonReady)('pytorch/yardstick.py --describe-data', () => {
  let root: string;
  let flat: string;
  let split: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'yardstick-data-'));
    // 'Zebra' sorts before 'ant' in code-unit order; 5 images per class make round(0.1 * 5) a tie, which
    // JavaScript rounds up and Python's round() would round down.
    flat = path.join(root, 'flat');
    await writeImageFolder(flat, { classNames: ['ant', 'Zebra', 'bee'], perClass: 5, size: 32 });
    // An image of another size (resized bilinearly), a grayscale one, and what both loaders must skip.
    await writePng(path.join(flat, 'bee', '002b.png'), 40, 36, 2);
    await writePng(path.join(flat, 'ant', '000a.png'), 32, 32, 0);
    await writePng(path.join(flat, 'ant', '.hidden.png'), 32, 32, 2);
    await fs.writeFile(path.join(flat, 'ant', 'notes.txt'), 'not an image');
    await fs.mkdir(path.join(flat, 'ant', 'nested.png'));
    await fs.mkdir(path.join(flat, '.cache'));

    split = path.join(root, 'split');
    await writeImageFolder(path.join(split, 'train'), { classNames: ['cat', 'dog'], perClass: 4, size: 32 });
    await writeImageFolder(path.join(split, 'test'), { classNames: ['cat', 'dog'], perClass: 3, size: 32 });
  });

  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('holds out the last round(fraction * n) files of each class, rounding halves up as resnet-lab', async () => {
    const expected = await describeWithResnetLab(flat, { testFraction: 0.1 });
    expect(expected.classNames).toEqual(['Zebra', 'ant', 'bee']);
    expect(expected.trainLabels).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(expected.testLabels).toEqual([0, 1, 2]);
    expect(describeWithYardstick(flat, { testFraction: 0.1 })).toEqual(expected);
  });

  it('takes the first files of each class with --limit-per-class before splitting', async () => {
    const options = { testFraction: 0.3, limitPerClass: 4 };
    const expected = await describeWithResnetLab(flat, options);
    expect(expected.trainLabels).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(expected.testLabels).toEqual([0, 1, 2]);
    expect(describeWithYardstick(flat, options)).toEqual(expected);
  });

  it('uses a train/ and test/ layout whole, ignoring the fraction', async () => {
    const expected = await describeWithResnetLab(split, { testFraction: 0.5 });
    expect(expected.trainLabels).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(expected.testLabels).toEqual([0, 0, 0, 1, 1, 1]);
    expect(describeWithYardstick(split, { testFraction: 0.5 })).toEqual(expected);
  });
});
