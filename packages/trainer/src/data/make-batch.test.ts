import { describe, expect, it } from 'vitest';
import { DatasetError, type ImageDataset } from './image-dataset.js';
import { CIFAR10_NORMALIZATION, computeNormalization, makeBatch, type Normalization } from './make-batch.js';

/** Two 3x3 images; byte (image, y, x, channel) = 100 * image + 30 * y + 3 * x + channel + 1. */
const dataset: ImageDataset = {
  classNames: ['a', 'b'],
  images: Uint8Array.from({ length: 2 * 3 * 3 * 3 }, (_, index) => {
    const [image, y, x, channel] = [
      Math.floor(index / 27),
      Math.floor(index / 9) % 3,
      Math.floor(index / 3) % 3,
      index % 3,
    ];
    return 100 * image + 30 * y + 3 * x + channel + 1;
  }),
  labels: Int32Array.from([0, 1]),
  count: 2,
  height: 3,
  width: 3,
};

/** Source pixel (y, x) of `image` as floats, or black (null). */
type Source = [number, number] | null;

function expectedImage(image: number, sources: Source[][], normalization?: Normalization): number[] {
  return sources.flat().flatMap((source) =>
    [0, 1, 2].map((channel) => {
      const byte = source === null ? 0 : 100 * image + 30 * source[0] + 3 * source[1] + channel + 1;
      const mean = normalization?.mean[channel] ?? 0;
      const std = normalization?.std[channel] ?? 1;
      return Math.fround((byte / 255 - mean) / std);
    }),
  );
}

/** A random stub returning `values` in order and counting the draws. */
function sequence(...values: number[]) {
  const random = () => {
    const value = values[random.calls++];
    if (value === undefined) throw new Error('The random stub ran out of values.');
    return value;
  };
  random.calls = 0;
  return random;
}

/** The draw that makes Math.floor(draw * 9) - 4 equal `shift`. */
const shift = (offset: number) => (offset + 4 + 0.5) / 9;

describe('makeBatch', () => {
  it('scales bytes to [0, 1] in index order without drawing random numbers', () => {
    const random = sequence();
    const batch = makeBatch(dataset, [1, 0], { augment: false, random });
    const bytes = [...dataset.images.subarray(27), ...dataset.images.subarray(0, 27)];
    expect(Array.from(batch)).toEqual(bytes.map((byte) => Math.fround(byte / 255)));
    expect(random.calls).toBe(0);
  });

  it('normalizes each channel with (x - mean) / std', () => {
    const normalization: Normalization = { mean: [0.5, 0.25, 0], std: [0.5, 2, 0.1] };
    const batch = makeBatch(dataset, [0], { augment: false, random: sequence(), normalization });
    const all: Source[][] = [0, 1, 2].map((y) => [0, 1, 2].map((x): Source => [y, x]));
    expect(Array.from(batch)).toEqual(expectedImage(0, all, normalization));
  });

  it('crops at the drawn offset from the zero-padded image, then flips; padding is black before normalization', () => {
    // Image 0: window moved down 1 and left 1, no flip. Image 1: right 2, flipped.
    const random = sequence(shift(1), shift(-1), 0.7, shift(0), shift(2), 0.2);
    const batch = makeBatch(dataset, [0, 1], { augment: true, random, normalization: CIFAR10_NORMALIZATION });
    expect(random.calls).toBe(6);
    expect(Array.from(batch.subarray(0, 27))).toEqual(
      expectedImage(
        0,
        [
          [null, [1, 0], [1, 1]],
          [null, [2, 0], [2, 1]],
          [null, null, null],
        ],
        CIFAR10_NORMALIZATION,
      ),
    );
    expect(Array.from(batch.subarray(27))).toEqual(
      expectedImage(
        1,
        [
          [null, null, [0, 2]],
          [null, null, [1, 2]],
          [null, null, [2, 2]],
        ],
        CIFAR10_NORMALIZATION,
      ),
    );
  });

  it('keeps the image in place for the centre offset and mirrors it when flipped', () => {
    const batch = makeBatch(dataset, [0, 0], {
      augment: true,
      random: sequence(shift(0), shift(0), 0.5, shift(0), shift(0), 0.49),
    });
    const rows = [0, 1, 2];
    expect(Array.from(batch.subarray(0, 27))).toEqual(
      expectedImage(
        0,
        rows.map((y) => rows.map((x): Source => [y, x])),
      ),
    );
    expect(Array.from(batch.subarray(27))).toEqual(
      expectedImage(
        0,
        rows.map((y) => rows.map((x): Source => [y, 2 - x])),
      ),
    );
  });

  it('rejects indices outside the dataset', () => {
    expect(() => makeBatch(dataset, [0, 2], { augment: false, random: sequence() })).toThrow(
      'Expected image indices from 0 to 1, got 2 at position 1.',
    );
  });

  it('uses kuangliu/pytorch-cifar’s CIFAR-10 statistics', () => {
    expect(CIFAR10_NORMALIZATION).toEqual({ mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.201] });
  });
});

describe('computeNormalization', () => {
  it('gives the per-channel mean and population standard deviation of pixels / 255', () => {
    // Red 0 and 255 (mean 0.5, std 0.5), green constant 51 (0.2, 0), blue 0, 0, 0, 255 over two 1x2 images.
    const images = Uint8Array.from([0, 51, 0, 255, 51, 0, 0, 51, 0, 255, 51, 255]);
    const stats = computeNormalization({
      classNames: ['a'],
      images,
      labels: new Int32Array(2),
      count: 2,
      height: 1,
      width: 2,
    });
    expect(stats.mean).toEqual([0.5, 0.2, 0.25]);
    expect(stats.std[0]).toBeCloseTo(0.5, 12);
    expect(stats.std[1]).toBe(0);
    expect(stats.std[2]).toBeCloseTo(Math.sqrt(3) / 4, 12);
  });

  it('refuses an empty dataset', () => {
    expect(() => computeNormalization({ ...dataset, count: 0, images: new Uint8Array(0) })).toThrow(DatasetError);
  });
});
