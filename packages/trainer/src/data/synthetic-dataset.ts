// A generated dataset for tests and smoke runs without downloads: each class is a spatial pattern (stripes of three
// orientations, checkerboard, dots, grid, disc, ring, cross, plain) drawn with random colours, period, phase,
// position and pixel noise, so that only the shape tells the class; a small conv net learns it in a few epochs.
// Every class is closed under the training augmentation (random crop, horizontal flip): a flipped diagonal is
// still a diagonal, so flipping never turns an image into another class.
import { DatasetError, type DatasetSplits, type ImageDataset } from './image-dataset.js';
import { deriveSeed, seededRandom, shuffledIndices } from './random.js';

export const SYNTHETIC_CLASS_NAMES = [
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
] as const;

export interface SyntheticDatasetOptions {
  /** Number of classes, the first N patterns of SYNTHETIC_CLASS_NAMES: 2 ... 10, default 10. */
  readonly classes?: number | undefined;
  /** Training images, default 1,000. */
  readonly trainCount?: number | undefined;
  /** Test images, default 200. */
  readonly testCount?: number | undefined;
  /** Height and width in pixels: 8 ... 1,024, default 32. */
  readonly imageSize?: number | undefined;
  /** The same seed gives the same bytes; train and test draw from different streams. Default 0. */
  readonly seed?: number | undefined;
}

/** Largest per-pixel noise, as a fraction of the full 0 ... 255 range (triangular distribution). */
const NOISE_AMPLITUDE = 0.12;
const TRAIN_STREAM = 1;
const TEST_STREAM = 2;
const SHUFFLE_STREAM = 0xffff_ffff;

/** The shape of the synthetic dataset when none is asked for: small enough to train on a laptop CPU in minutes. */
export const SYNTHETIC_DEFAULTS = {
  classes: SYNTHETIC_CLASS_NAMES.length,
  trainCount: 1000,
  testCount: 200,
  imageSize: 32,
} as const;

/**
 * Balanced classes: sample i has label `i % classes`, and the samples are then shuffled, so every prefix of the
 * dataset is close to balanced.
 */
export function makeSyntheticDataset({
  classes = SYNTHETIC_DEFAULTS.classes,
  trainCount = SYNTHETIC_DEFAULTS.trainCount,
  testCount = SYNTHETIC_DEFAULTS.testCount,
  imageSize = SYNTHETIC_DEFAULTS.imageSize,
  seed = 0,
}: SyntheticDatasetOptions = {}): DatasetSplits {
  if (!Number.isInteger(classes) || classes < 2 || classes > SYNTHETIC_CLASS_NAMES.length) {
    throw new DatasetError(
      `Expected classes to be an integer from 2 to ${SYNTHETIC_CLASS_NAMES.length} for the synthetic dataset, ` +
        `got ${classes}.`,
    );
  }
  for (const [name, count] of [
    ['trainCount', trainCount],
    ['testCount', testCount],
  ] as const) {
    if (!Number.isInteger(count) || count < 0) {
      throw new DatasetError(`Expected ${name} to be a non-negative integer, got ${count}.`);
    }
  }
  if (!Number.isInteger(imageSize) || imageSize < 8 || imageSize > 1024) {
    throw new DatasetError(`Expected imageSize to be an integer from 8 to 1024, got ${imageSize}.`);
  }
  if (!Number.isInteger(seed)) {
    throw new DatasetError(`Expected seed to be an integer, got ${seed}.`);
  }
  const classNames = SYNTHETIC_CLASS_NAMES.slice(0, classes);
  return {
    train: makeSplit(classNames, trainCount, imageSize, deriveSeed(seed, TRAIN_STREAM)),
    test: makeSplit(classNames, testCount, imageSize, deriveSeed(seed, TEST_STREAM)),
  };
}

function makeSplit(classNames: readonly string[], count: number, size: number, seed: number): ImageDataset {
  const imageBytes = size * size * 3;
  const images = new Uint8Array(count * imageBytes);
  const labels = new Int32Array(count);
  const order = shuffledIndices(count, seededRandom(deriveSeed(seed, SHUFFLE_STREAM)));
  for (let index = 0; index < count; index++) {
    const sample = order[index]!;
    labels[index] = sample % classNames.length;
    // Each image has its own stream, so it does not depend on how many images come before it.
    const random = seededRandom(deriveSeed(seed, sample));
    drawPattern(images.subarray(index * imageBytes, (index + 1) * imageBytes), size, labels[index]!, random);
  }
  return { classNames, images, labels, count, height: size, width: size };
}

/** Draws pattern `pattern` into `target` ([size, size, 3] bytes): background, foreground where the shape is, noise. */
function drawPattern(target: Uint8Array, size: number, pattern: number, random: () => number): void {
  // Foreground roughly inverts the background, so that every channel has contrast whatever the colours drawn.
  const background: number[] = [];
  const foreground: number[] = [];
  for (let channel = 0; channel < 3; channel++) {
    const value = random() < 0.5 ? 0.4 * random() : 0.6 + 0.4 * random();
    background.push(value);
    foreground.push(Math.min(1, Math.max(0, 1 - value + 0.2 * (random() - 0.5))));
  }
  // At least 4 pixels, so that stripes stay 2 pixels wide on small images.
  const period = Math.max(4, size * (0.18 + 0.1 * random()));
  const phase = random() * period;
  const phase2 = random() * period;
  // Diagonal stripes run either way: a horizontal flip swaps the two, so they must share a class.
  const diagonal = random() < 0.5 ? 1 : -1;
  const gridPeriod = Math.max(6, size * (0.25 + 0.1 * random()));
  const gridLine = Math.max(1.5, 0.25 * gridPeriod);
  const centreX = size * (0.5 + 0.25 * (random() - 0.5));
  const centreY = size * (0.5 + 0.25 * (random() - 0.5));
  const radius = size * (0.18 + 0.1 * random());
  const thickness = Math.max(1, size * (0.05 + 0.03 * random()));

  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      let inside: boolean;
      switch (pattern) {
        case 0:
          inside = stripe(py + phase, period);
          break;
        case 1:
          inside = stripe(px + phase, period);
          break;
        case 2:
          inside = stripe((px + diagonal * py) * Math.SQRT1_2 + phase, period);
          break;
        case 3:
          inside = stripe(px + phase, period) !== stripe(py + phase2, period);
          break;
        case 4: {
          const dx = positiveModulo(px + phase, period) - period / 2;
          const dy = positiveModulo(py + phase2, period) - period / 2;
          inside = Math.hypot(dx, dy) < 0.28 * period;
          break;
        }
        case 5:
          inside =
            positiveModulo(px + phase, gridPeriod) < gridLine || positiveModulo(py + phase2, gridPeriod) < gridLine;
          break;
        case 6:
          inside = Math.hypot(px - centreX, py - centreY) < radius;
          break;
        case 7:
          inside = Math.abs(Math.hypot(px - centreX, py - centreY) - (radius + thickness)) < thickness;
          break;
        case 8:
          inside = Math.abs(px - centreX) < thickness || Math.abs(py - centreY) < thickness;
          break;
        default:
          inside = false;
      }
      const colour = inside ? foreground : background;
      const offset = (y * size + x) * 3;
      for (let channel = 0; channel < 3; channel++) {
        const noise = NOISE_AMPLITUDE * (random() + random() - 1);
        target[offset + channel] = Math.round(255 * Math.min(1, Math.max(0, colour[channel]! + noise)));
      }
    }
  }
}

/** The first half of every period is foreground. */
function stripe(position: number, period: number): boolean {
  return positiveModulo(position, period) < period / 2;
}

function positiveModulo(value: number, modulus: number): number {
  return ((value % modulus) + modulus) % modulus;
}
