// Turns dataset bytes into a float batch with the standard CIFAR augmentation of kuangliu/pytorch-cifar:
// transforms.RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(), Normalize(mean, std).
import { DatasetError, type ImageDataset } from './image-dataset.js';

/** Per-channel (R, G, B) statistics of pixels scaled to [0, 1]; a batch holds `(pixel / 255 - mean) / std`. */
export interface Normalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/** The values in kuangliu/pytorch-cifar's main.py. */
export const CIFAR10_NORMALIZATION: Normalization = Object.freeze({
  mean: Object.freeze([0.4914, 0.4822, 0.4465] as const),
  std: Object.freeze([0.2023, 0.1994, 0.201] as const),
});

/** torchvision's ImageNet statistics, with which its pretrained ResNets were trained. */
export const IMAGENET_NORMALIZATION: Normalization = Object.freeze({
  mean: Object.freeze([0.485, 0.456, 0.406] as const),
  std: Object.freeze([0.229, 0.224, 0.225] as const),
});

/** Zero padding on each side before the random crop, in pixels (torchvision RandomCrop(32, padding=4)). */
export const CROP_PADDING = 4;

export interface MakeBatchOptions {
  /** Random crop from the image padded by CROP_PADDING black pixels, then a horizontal flip with probability 0.5. */
  readonly augment: boolean;
  /** Uniform [0, 1) numbers, e.g. seededRandom; three draws per image when augmenting (top, left, flip), none otherwise. */
  readonly random: () => number;
  /** Per-channel standardization after scaling to [0, 1]; default none (pixels / 255). */
  readonly normalization?: Normalization | undefined;
}

/**
 * Returns `[indices.length, height, width, 3]` floats (channels last) for the images at `indices`. Padding is
 * black in pixel space, i.e. `(0 - mean) / std` after normalization, as RandomCrop on the PIL image followed by
 * ToTensor and Normalize gives. Crop offsets are drawn as torchvision does: top, then left, each uniform over the
 * 2 * padding + 1 positions, then the flip.
 */
export function makeBatch(dataset: ImageDataset, indices: ArrayLike<number>, options: MakeBatchOptions): Float32Array {
  const { height, width } = dataset;
  const imageBytes = height * width * 3;
  const batch = new Float32Array(indices.length * imageBytes);
  // Byte value -> float per channel, so each pixel costs a lookup: [3 * 256].
  const table = valueTable(options.normalization);
  const black = [table[0]!, table[256]!, table[512]!];
  const source = dataset.images;
  const positions = 2 * CROP_PADDING + 1;

  for (let item = 0; item < indices.length; item++) {
    const index = indices[item]!;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.count) {
      throw new RangeError(`Expected image indices from 0 to ${dataset.count - 1}, got ${index} at position ${item}.`);
    }
    const image = index * imageBytes;
    const target = item * imageBytes;
    if (!options.augment) {
      for (let offset = 0; offset < imageBytes; offset += 3) {
        batch[target + offset] = table[source[image + offset]!]!;
        batch[target + offset + 1] = table[256 + source[image + offset + 1]!]!;
        batch[target + offset + 2] = table[512 + source[image + offset + 2]!]!;
      }
      continue;
    }
    // Shift of the crop window relative to the unpadded image: -padding ... +padding.
    const top = Math.floor(options.random() * positions) - CROP_PADDING;
    const left = Math.floor(options.random() * positions) - CROP_PADDING;
    const flip = options.random() < 0.5;
    for (let y = 0; y < height; y++) {
      const sourceY = y + top;
      const rowTarget = target + y * width * 3;
      const rowInside = sourceY >= 0 && sourceY < height;
      for (let x = 0; x < width; x++) {
        const sourceX = (flip ? width - 1 - x : x) + left;
        const pixelTarget = rowTarget + x * 3;
        if (rowInside && sourceX >= 0 && sourceX < width) {
          const pixel = image + (sourceY * width + sourceX) * 3;
          batch[pixelTarget] = table[source[pixel]!]!;
          batch[pixelTarget + 1] = table[256 + source[pixel + 1]!]!;
          batch[pixelTarget + 2] = table[512 + source[pixel + 2]!]!;
        } else {
          batch[pixelTarget] = black[0]!;
          batch[pixelTarget + 1] = black[1]!;
          batch[pixelTarget + 2] = black[2]!;
        }
      }
    }
  }
  return batch;
}

function valueTable(normalization: Normalization | undefined): Float32Array {
  const table = new Float32Array(3 * 256);
  for (let channel = 0; channel < 3; channel++) {
    const mean = normalization?.mean[channel] ?? 0;
    const std = normalization?.std[channel] ?? 1;
    if (!Number.isFinite(mean) || !Number.isFinite(std) || std <= 0) {
      throw new RangeError(
        `Expected a finite mean and a positive standard deviation for channel ${channel}, got mean ${mean} and std ${std}.`,
      );
    }
    for (let value = 0; value < 256; value++) table[channel * 256 + value] = (value / 255 - mean) / std;
  }
  return table;
}

/** Per-channel mean and (population) standard deviation of a dataset's pixels scaled to [0, 1]. */
export function computeNormalization(dataset: ImageDataset): Normalization {
  if (dataset.count === 0) {
    throw new DatasetError('Cannot compute normalization statistics of an empty dataset.');
  }
  // Histograms keep the sums exact integers however large the dataset: [3 * 256].
  const histogram = new Float64Array(3 * 256);
  const images = dataset.images;
  const length = dataset.count * dataset.height * dataset.width * 3;
  for (let offset = 0; offset < length; offset += 3) {
    histogram[images[offset]!]!++;
    histogram[256 + images[offset + 1]!]!++;
    histogram[512 + images[offset + 2]!]!++;
  }
  const mean: number[] = [];
  const std: number[] = [];
  const pixels = length / 3;
  for (let channel = 0; channel < 3; channel++) {
    let sum = 0;
    let sumOfSquares = 0;
    for (let value = 0; value < 256; value++) {
      const count = histogram[channel * 256 + value]!;
      sum += count * value;
      sumOfSquares += count * value * value;
    }
    const channelMean = sum / pixels;
    const variance = Math.max(0, sumOfSquares / pixels - channelMean * channelMean);
    mean.push(channelMean / 255);
    std.push(Math.sqrt(variance) / 255);
  }
  return { mean: [mean[0]!, mean[1]!, mean[2]!], std: [std[0]!, std[1]!, std[2]!] };
}
