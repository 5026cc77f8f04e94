import { describe, expect, it } from 'vitest';
import { DatasetError } from './image-dataset.js';
import { SYNTHETIC_CLASS_NAMES, makeSyntheticDataset } from './synthetic-dataset.js';

function countPerLabel(labels: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label]!++;
  return counts;
}

describe('makeSyntheticDataset', () => {
  it('makes balanced, shuffled splits of the requested shape', () => {
    const { train, test } = makeSyntheticDataset();
    expect(train.classNames).toEqual(SYNTHETIC_CLASS_NAMES);
    expect(train.classNames).toEqual([
      'horizontal-stripes',
      'vertical-stripes',
      'diagonal-stripes',
      'checkerboard',
      'dots',
      'grid',
      'disc',
      'ring',
      'cross',
      'plain',
    ]);
    expect([train.count, train.height, train.width, train.images.length]).toEqual([1000, 32, 32, 1000 * 32 * 32 * 3]);
    expect([test.count, test.images.length]).toEqual([200, 200 * 32 * 32 * 3]);
    expect(countPerLabel(train.labels, 10)).toEqual(new Array<number>(10).fill(100));
    expect(countPerLabel(test.labels, 10)).toEqual(new Array<number>(10).fill(20));
    // Shuffled: not the label = index % classes order it was generated in.
    expect(Array.from(train.labels.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('repeats exactly for a seed and differs between seeds and splits', () => {
    const options = { classes: 3, trainCount: 30, testCount: 30, imageSize: 16, seed: 7 };
    const first = makeSyntheticDataset(options);
    expect(makeSyntheticDataset(options)).toEqual(first);
    expect(first.train.classNames).toEqual(['horizontal-stripes', 'vertical-stripes', 'diagonal-stripes']);
    expect(first.train.images).not.toEqual(first.test.images);
    expect(makeSyntheticDataset({ ...options, seed: 8 }).train.images).not.toEqual(first.train.images);
  });

  it('draws patterns with contrast and noise, not flat images', () => {
    const { train } = makeSyntheticDataset({ trainCount: 100, testCount: 0 });
    const imageBytes = 32 * 32 * 3;
    for (let index = 0; index < train.count; index++) {
      const pixels = train.images.subarray(index * imageBytes, (index + 1) * imageBytes);
      const spread = Math.max(...pixels) - Math.min(...pixels);
      // Noise alone spreads a plain image by some tens of levels; a pattern by far more.
      expect(spread).toBeGreaterThan(train.labels[index] === 9 ? 20 : 100);
    }
  });

  it('draws diagonal stripes both ways, so that a horizontal flip (training augmentation) keeps the class', () => {
    const { train } = makeSyntheticDataset({ classes: 3, trainCount: 60, testCount: 0 });
    const size = 32;
    // Mean difference to the next pixel along each diagonal: stripes are constant along one of them.
    const along = (index: number, step: number) => {
      let total = 0;
      for (let y = 1; y < size - 1; y++) {
        for (let x = 0; x < size - 1; x++) {
          const a = ((index * size + y) * size + x) * 3;
          const b = ((index * size + y + step) * size + x + 1) * 3;
          total += Math.abs(train.images[a]! - train.images[b]!);
        }
      }
      return total;
    };
    const directions = { down: 0, up: 0 };
    for (let index = 0; index < train.count; index++) {
      if (train.labels[index] !== 2) continue;
      if (along(index, 1) < along(index, -1)) directions.down++;
      else directions.up++;
    }
    expect(directions.down + directions.up).toBe(20);
    expect(Math.min(directions.down, directions.up)).toBeGreaterThanOrEqual(5);
  });

  it.each([
    [{ classes: 11 }, 'Expected classes to be an integer from 2 to 10 for the synthetic dataset, got 11.'],
    [{ trainCount: -1 }, 'Expected trainCount to be a non-negative integer, got -1.'],
    [{ imageSize: 4 }, 'Expected imageSize to be an integer from 8 to 1024, got 4.'],
  ])('rejects %j', (options, message) => {
    expect(() => makeSyntheticDataset(options)).toThrow(new DatasetError(message));
  });
});
