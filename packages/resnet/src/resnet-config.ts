// What identifies one ResNet: architecture, stem, classes, input size and width, with defaults and validation.
import { RESNET_ARCHS, type ResNetArch } from './architectures.js';

/**
 * `cifar`: 3x3 conv, stride 1, no max-pool (the seed's CIFAR-10 network, 32x32 input).
 * `imagenet`: 7x7 conv, stride 2, then 3x3 max-pool, stride 2 (the paper's ImageNet network, 224x224 input).
 */
export type ResNetStem = 'cifar' | 'imagenet';

export const RESNET_STEMS: readonly ResNetStem[] = ['cifar', 'imagenet'];

export interface ResNetConfig {
  readonly arch: ResNetArch;
  readonly stem: ResNetStem;
  /** Number of output classes (logits). */
  readonly classes: number;
  /** Height and width of the square RGB input, in pixels. */
  readonly inputSize: number;
  /** Filter multiplier: width 1 has 64 filters in the first stage, as in the paper; 0.25 has 16. */
  readonly width: number;
}

export interface ResNetConfigInput {
  readonly arch: string;
  /** Default `cifar`. */
  readonly stem?: string | undefined;
  /** Default 10 for the cifar stem, 1000 for imagenet. */
  readonly classes?: number | undefined;
  /** Default 32 for the cifar stem, 224 for imagenet. */
  readonly inputSize?: number | undefined;
  /** Default 1. */
  readonly width?: number | undefined;
}

export const STEM_DEFAULTS: Readonly<Record<ResNetStem, { classes: number; inputSize: number }>> = {
  cifar: { classes: 10, inputSize: 32 },
  imagenet: { classes: 1000, inputSize: 224 },
};

/** Smallest input for which every stage still has at least one pixel, with a margin for pooling. */
export const MIN_INPUT_SIZE: Readonly<Record<ResNetStem, number>> = { cifar: 8, imagenet: 32 };
export const MAX_INPUT_SIZE = 1024;
export const MAX_CLASSES = 100_000;
export const MAX_WIDTH = 8;
/** Filters in the first stage at width 1. */
export const BASE_FILTERS = 64;

/** A configuration value outside what is allowed; the message names the field, the value and the allowed range. */
export class ResNetConfigError extends Error {
  constructor(
    readonly field: keyof ResNetConfig,
    message: string,
  ) {
    super(message);
    this.name = 'ResNetConfigError';
  }
}

/** Fills in defaults and checks every field, so that a model can only be built from a valid configuration. */
export function resolveResNetConfig(input: ResNetConfigInput): ResNetConfig {
  const arch = parseArch(input.arch);
  const stem = parseStem(input.stem ?? 'cifar');
  const defaults = STEM_DEFAULTS[stem];
  const classes = input.classes ?? defaults.classes;
  if (!Number.isInteger(classes) || classes < 2 || classes > MAX_CLASSES) {
    throw new ResNetConfigError(
      'classes',
      `Expected classes to be an integer from 2 to ${MAX_CLASSES}, got ${String(classes)}.`,
    );
  }
  const inputSize = input.inputSize ?? defaults.inputSize;
  const minInput = MIN_INPUT_SIZE[stem];
  if (!Number.isInteger(inputSize) || inputSize < minInput || inputSize > MAX_INPUT_SIZE) {
    throw new ResNetConfigError(
      'inputSize',
      `Expected inputSize to be an integer from ${minInput} to ${MAX_INPUT_SIZE} for the ${stem} stem, got ${String(inputSize)}.`,
    );
  }
  const width = input.width ?? 1;
  const minWidth = 1 / BASE_FILTERS;
  if (!Number.isFinite(width) || width < minWidth || width > MAX_WIDTH) {
    throw new ResNetConfigError(
      'width',
      `Expected width to be a number from ${minWidth} (1 filter) to ${MAX_WIDTH}, got ${String(width)}.`,
    );
  }
  return { arch, stem, classes, inputSize, width };
}

function parseArch(value: string): ResNetArch {
  if ((RESNET_ARCHS as readonly string[]).includes(value)) return value as ResNetArch;
  throw new ResNetConfigError('arch', `Unknown architecture '${value}'. Allowed: ${RESNET_ARCHS.join(', ')}.`);
}

function parseStem(value: string): ResNetStem {
  if ((RESNET_STEMS as readonly string[]).includes(value)) return value as ResNetStem;
  throw new ResNetConfigError('stem', `Unknown stem '${value}'. Allowed: ${RESNET_STEMS.join(', ')}.`);
}

/** Filters of the first stage: 64 at width 1, rounded, never fewer than one. */
export function baseFilters(width: number): number {
  return Math.max(1, Math.round(BASE_FILTERS * width));
}
