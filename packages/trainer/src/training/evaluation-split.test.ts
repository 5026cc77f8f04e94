import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageFolder } from '../../test-support/index.js';
import { loadDataset, makeSyntheticDataset, writeCifar10Binary } from '../data/index.js';
import { defaultEvalSplit, evaluationSplit } from './evaluation-split.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'evaluation-split-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('evaluationSplit', () => {
  const dataset = makeSyntheticDataset({ classes: 3, trainCount: 6, testCount: 4, imageSize: 8, seed: 1 });

  it('returns the test or train split as loaded', () => {
    expect(evaluationSplit(dataset, 'test')).toBe(dataset.test);
    expect(evaluationSplit(dataset, 'train')).toBe(dataset.train);
  });

  it("'all' holds the training images then the test images, with their labels", () => {
    const all = evaluationSplit(dataset, 'all');
    const imageBytes = 8 * 8 * 3;
    expect(all.count).toBe(10);
    expect([...all.labels]).toEqual([...dataset.train.labels, ...dataset.test.labels]);
    expect(Buffer.from(all.images.subarray(0, 6 * imageBytes)).equals(Buffer.from(dataset.train.images))).toBe(true);
    expect(Buffer.from(all.images.subarray(6 * imageBytes)).equals(Buffer.from(dataset.test.images))).toBe(true);
    expect(all.images).toHaveLength(10 * imageBytes);
    expect({ ...all, images: null, labels: null }).toEqual({
      ...dataset.train,
      images: null,
      labels: null,
      count: 10,
    });
  });

  it("'all' of an image folder without train/ and test/ is every image of it, nothing held out", async () => {
    const folder = path.join(root, 'flat');
    await writeImageFolder(folder, { classNames: ['cat', 'dog', 'fox'], perClass: 10 });
    const loaded = await loadDataset(folder, { testFraction: 0.1 });
    expect([loaded.train.count, loaded.test.count]).toEqual([27, 3]);
    const all = evaluationSplit(loaded, 'all');
    expect(all.count).toBe(30);
    expect([0, 1, 2].map((label) => all.labels.filter((value) => value === label).length)).toEqual([10, 10, 10]);
  });
});

describe('defaultEvalSplit', () => {
  let flat: string;
  let split: string;
  let trainOnly: string;
  let cifar: string;
  beforeAll(async () => {
    flat = path.join(root, 'default-flat');
    await writeImageFolder(flat, { classNames: ['cat', 'dog'], perClass: 2 });
    split = path.join(root, 'default-split');
    await writeImageFolder(path.join(split, 'train'), { classNames: ['cat', 'dog'], perClass: 2 });
    await writeImageFolder(path.join(split, 'test'), { classNames: ['cat', 'dog'], perClass: 1 });
    trainOnly = path.join(root, 'default-train-only');
    await writeImageFolder(path.join(trainOnly, 'train'), { classNames: ['cat', 'dog'], perClass: 2 });
    cifar = path.join(root, 'default-cifar');
    const images = makeSyntheticDataset({ classes: 2, trainCount: 2, testCount: 2, imageSize: 32, seed: 1 });
    await writeCifar10Binary(cifar, images, { trainFiles: 1 });
  });

  it("is 'all' for an image folder without train/ that the checkpoint was not trained on", async () => {
    expect(await defaultEvalSplit(flat, null)).toBe('all');
    expect(await defaultEvalSplit(flat, split)).toBe('all');
    expect(await defaultEvalSplit(flat, 'synthetic')).toBe('all');
  });

  it("is 'test' for the training data itself, a train/ layout, CIFAR-10 binary and synthetic data", async () => {
    expect(await defaultEvalSplit(flat, flat)).toBe('test');
    expect(await defaultEvalSplit(`${flat}${path.sep}`, path.relative(process.cwd(), flat))).toBe('test');
    expect(await defaultEvalSplit(split, null)).toBe('test');
    expect(await defaultEvalSplit(trainOnly, null)).toBe('test');
    expect(await defaultEvalSplit(cifar, null)).toBe('test');
    expect(await defaultEvalSplit('synthetic', null)).toBe('test');
  });

  it("leaves a missing location to the loader, which names it: 'test'", async () => {
    expect(await defaultEvalSplit(path.join(root, 'missing'), null)).toBe('test');
  });
});
