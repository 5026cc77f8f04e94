// Training hyperparameters with the seed's defaults (kuangliu/pytorch-cifar), and their validation.
import {
  RESNET_ARCHS,
  RESNET_INITS,
  RESNET_STEMS,
  defaultInit,
  type ResNetArch,
  type ResNetInit,
  type ResNetStem,
} from '@resnet-lab/resnet';
import { BACKEND_CHOICES, type BackendChoice } from '../backend/index.js';

export const SCHEDULES = ['step', 'multistep', 'cosine', 'one-cycle', 'constant'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export const NORMALIZATIONS = ['dataset', 'cifar10', 'none'] as const;
export type NormalizationName = (typeof NORMALIZATIONS)[number];

export interface TrainConfig {
  /** Dataset location: 'synthetic', a CIFAR-10 binary directory or an image folder. */
  readonly data: string;
  readonly arch: ResNetArch;
  /** Default 'cifar'. */
  readonly stem: ResNetStem;
  /** Filter multiplier, 1 = 64 filters in the first stage. Default 1. */
  readonly width: number;
  /**
   * Weight initialization: 'pytorch-default' (nn.Conv2d/nn.Linear's own, the seed's) or 'torchvision' (Kaiming
   * normal, fan-out). Default by stem: 'pytorch-default' for cifar, 'torchvision' for imagenet.
   */
  readonly init: ResNetInit;
  /** Default 50. */
  readonly epochs: number;
  /** Images per SGD step. Default 128, as the seed. */
  readonly batchSize: number;
  /** Initial (or, for one-cycle, peak) learning rate. Default 0.1. */
  readonly learningRate: number;
  /** SGD momentum. Default 0.9. */
  readonly momentum: number;
  /** L2 penalty added to the gradient before momentum, as PyTorch's SGD. Default 5e-4. */
  readonly weightDecay: number;
  /** Nesterov momentum. Default false. */
  readonly nesterov: boolean;
  /**
   * 'step': divide by 10 every `stepSize` epochs (the seed: 50, so at epochs 50 and 100); 'multistep': at each of
   * `milestones`; 'cosine': cosine annealing to 0 over all epochs; 'one-cycle': PyTorch's OneCycleLR (cosine,
   * 30% warm-up from lr/25 to lr, down to lr/25e4); 'constant'. Default 'step'.
   */
  readonly schedule: ScheduleName;
  /** Epochs between divisions of the 'step' schedule. Default 50. */
  readonly stepSize: number;
  /** Epochs after which 'multistep' divides. Default [50, 100]. */
  readonly milestones: readonly number[];
  /** Factor of each step/multistep division. Default 0.1. */
  readonly gamma: number;
  /** Random crop from a 4-pixel padded image and horizontal flip. Default true. */
  readonly augment: boolean;
  /** Per-channel normalization: computed on the training split, CIFAR-10's constants, or none. Default 'dataset'. */
  readonly normalization: NormalizationName;
  /** Seeds weight initialization, shuffling and augmentation. Default 0. */
  readonly seed: number;
  readonly backend: BackendChoice;
  /** Image-folder datasets: fraction of each class held out for testing when there is no test folder. Default 0.1. */
  readonly testFraction: number;
  /** Image-folder datasets: use only the first N images of each class (0 = all). Default 0. */
  readonly limitPerClass: number;
}

export type TrainConfigInput = Partial<
  Omit<TrainConfig, 'arch' | 'stem' | 'init' | 'schedule' | 'normalization' | 'backend'>
> & {
  readonly data: string;
  readonly arch?: string;
  readonly stem?: string;
  readonly init?: string;
  readonly schedule?: string;
  readonly normalization?: string;
  readonly backend?: string;
};

/**
 * The initialization of runs and checkpoints recorded before `init` was a hyperparameter: @resnet-lab/resnet then
 * built every model with torchvision's scheme, the only one there was.
 */
export const INIT_BEFORE_IT_WAS_RECORDED: ResNetInit = 'torchvision';

export const TRAIN_DEFAULTS = {
  arch: 'resnet18',
  stem: 'cifar',
  width: 1,
  epochs: 50,
  batchSize: 128,
  learningRate: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  nesterov: false,
  schedule: 'step',
  stepSize: 50,
  milestones: [50, 100],
  gamma: 0.1,
  augment: true,
  normalization: 'dataset',
  seed: 0,
  backend: 'auto',
  testFraction: 0.1,
  limitPerClass: 0,
} as const satisfies Omit<TrainConfig, 'data' | 'init'>;

/** A hyperparameter outside its allowed range; the message names the field, the value and the range. */
export class TrainConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'TrainConfigError';
  }
}

export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  const value = <K extends keyof typeof TRAIN_DEFAULTS>(key: K) => input[key] ?? TRAIN_DEFAULTS[key];
  if (typeof input.data !== 'string' || input.data.trim() === '') {
    throw new TrainConfigError(
      'data',
      `Expected data to be a dataset location ('synthetic' or a directory), got ${JSON.stringify(input.data)}.`,
    );
  }
  const stem = oneOf('stem', value('stem'), RESNET_STEMS);
  return {
    data: input.data,
    arch: oneOf('arch', value('arch'), RESNET_ARCHS),
    stem,
    init: oneOf('init', input.init ?? defaultInit(stem), RESNET_INITS),
    width: numberIn('width', value('width'), 1 / 64, 8),
    epochs: integerIn('epochs', value('epochs'), 1, 10_000),
    batchSize: integerIn('batchSize', value('batchSize'), 1, 65_536),
    learningRate: numberIn('learningRate', value('learningRate'), 0, 10, { exclusiveMin: true }),
    momentum: numberIn('momentum', value('momentum'), 0, 1, { exclusiveMax: true }),
    weightDecay: numberIn('weightDecay', value('weightDecay'), 0, 1),
    nesterov: booleanValue('nesterov', value('nesterov')),
    schedule: oneOf('schedule', value('schedule'), SCHEDULES),
    stepSize: integerIn('stepSize', value('stepSize'), 1, 10_000),
    milestones: milestonesValue(value('milestones')),
    gamma: numberIn('gamma', value('gamma'), 0, 1, { exclusiveMin: true }),
    augment: booleanValue('augment', value('augment')),
    normalization: oneOf('normalization', value('normalization'), NORMALIZATIONS),
    seed: integerIn('seed', value('seed'), 0, 2 ** 32 - 1),
    backend: oneOf('backend', value('backend'), BACKEND_CHOICES),
    testFraction: numberIn('testFraction', value('testFraction'), 0, 0.9),
    limitPerClass: integerIn('limitPerClass', value('limitPerClass'), 0, 10_000_000),
  };
}

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new TrainConfigError(field, `Expected ${field} to be one of ${allowed.join(', ')}, got '${value}'.`);
}

function numberIn(
  field: string,
  value: number,
  min: number,
  max: number,
  { exclusiveMin = false, exclusiveMax = false } = {},
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (exclusiveMin ? value > min : value >= min) &&
    (exclusiveMax ? value < max : value <= max);
  if (ok) return value;
  const range = `${exclusiveMin ? '(' : '['}${min}, ${max}${exclusiveMax ? ')' : ']'}`;
  throw new TrainConfigError(field, `Expected ${field} to be a number in ${range}, got ${String(value)}.`);
}

function integerIn(field: string, value: number, min: number, max: number): number {
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  throw new TrainConfigError(field, `Expected ${field} to be an integer from ${min} to ${max}, got ${String(value)}.`);
}

function booleanValue(field: string, value: boolean): boolean {
  if (typeof value === 'boolean') return value;
  throw new TrainConfigError(field, `Expected ${field} to be true or false, got ${JSON.stringify(value)}.`);
}

function milestonesValue(value: readonly number[]): number[] {
  // Values may come from JSON (a checkpoint, an API request), so the declared type is not trusted.
  const candidate: unknown = value;
  const valid =
    Array.isArray(candidate) &&
    value.every((epoch, index) => Number.isInteger(epoch) && epoch >= 1 && (index === 0 || epoch > value[index - 1]!));
  if (valid) return [...value];
  throw new TrainConfigError(
    'milestones',
    `Expected milestones to be increasing positive epoch numbers, got ${JSON.stringify(value)}.`,
  );
}
