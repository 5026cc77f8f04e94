// A PyTorch state_dict saved as safetensors (the reference's layer names, e.g. `layer1.0.conv1.weight`) turned into a
// resnet-lab checkpoint directory, which eval, predict, `train --resume` and the API read like a trained one.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  NUM_BATCHES_TRACKED,
  buildResNet,
  loadStateDict,
  readSafetensors,
  resolveResNetConfig,
  type ResNetConfig,
  type ResNetConfigInput,
  type SafetensorsTensor,
} from '@resnet-lab/resnet';
import { hasErrorCode } from '../data/has-error-code.js';
import {
  CIFAR10_CLASS_NAMES,
  CIFAR10_NORMALIZATION,
  IMAGENET_NORMALIZATION,
  type Normalization,
} from '../data/index.js';
import { MODEL_JSON } from '../model-directory.js';
import { saveCheckpoint, type CheckpointSource } from '../training/checkpoint.js';
import { CHECKPOINT_METADATA_KEYS } from './safetensors-metadata.js';

/** Normalizations an import can name: CIFAR-10's constants (the seed's), torchvision's ImageNet ones, none. */
export const NAMED_NORMALIZATIONS: Readonly<Record<'cifar10' | 'imagenet' | 'none', Normalization | null>> = {
  cifar10: CIFAR10_NORMALIZATION,
  imagenet: IMAGENET_NORMALIZATION,
  none: null,
};
export type NormalizationChoice = keyof typeof NAMED_NORMALIZATIONS;

export interface ImportSafetensorsOptions {
  /** The whole .safetensors file. */
  readonly bytes: Uint8Array;
  /** The architecture the state dict is of; every key and shape must match it. */
  readonly model: ResNetConfigInput;
  /** Imported weights were made by no initialization of ours: there is none to give. */
  readonly init?: never;
  /**
   * Label order of the model's outputs. Default: the file's `classNames` metadata (as `exportSafetensors` writes it)
   * when it has one of the right length, else CIFAR-10's for 10 classes, else class0 ... class<N-1>.
   */
  readonly classNames?: readonly string[] | undefined;
  /**
   * Applied to pixels scaled to [0, 1] before the model; null for none. Default: the file's `normalization` metadata
   * when valid, else CIFAR-10's constants for the cifar stem and torchvision's ImageNet ones for the imagenet stem.
   */
  readonly normalization?: Normalization | null | undefined;
  /** The file's name, recorded in the checkpoint (without its directory). Default: none recorded. */
  readonly sourceName?: string | undefined;
  /** The checkpoint directory to create; one that already holds a model is refused. */
  readonly out: string;
}

export interface ImportedCheckpoint {
  readonly directory: string;
  /** sha256 of the checkpoint's weights file, as saveCheckpoint reports it. */
  readonly weightsSha256: string;
  readonly model: ResNetConfig;
  readonly classNames: readonly string[];
  readonly normalization: Normalization | null;
  readonly source: CheckpointSource;
}

/** An import option the caller can fix; `field` names it, the message the value and what is allowed. */
export class SafetensorsImportError extends Error {
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SafetensorsImportError';
  }
}

/**
 * Builds `options.model`, loads the file's tensors into it (StateDictMismatchError names the first key that does not
 * fit, with both shapes) and writes a checkpoint of epoch 0 with no training config, metrics or momentum, recording
 * the file's name, sha256 and metadata as its source.
 */
export async function importSafetensors(options: ImportSafetensorsOptions): Promise<ImportedCheckpoint> {
  const config = resolveResNetConfig(options.model);
  const file = readSafetensors(options.bytes);
  const classNames = checkClassNames(
    options.classNames ?? classNamesFromMetadata(file.metadata, config.classes) ?? defaultClassNames(config.classes),
    config.classes,
  );
  const normalization =
    options.normalization === undefined
      ? (normalizationFromMetadata(file.metadata) ?? defaultNormalization(config))
      : checkNormalization(options.normalization);
  await refuseExistingModel(options.out);

  const source: CheckpointSource = {
    format: 'safetensors',
    file: options.sourceName === undefined ? null : path.basename(options.sourceName),
    sha256: createHash('sha256').update(options.bytes).digest('hex'),
    metadata: file.metadata,
    numBatchesTracked: commonBatchCount(file.tensors),
  };
  const model = buildResNet(config, { seed: 0 });
  try {
    loadStateDict(model, file.tensors, { modelDescription: describeModel(config) });
    const weightsSha256 = await saveCheckpoint([options.out], model, new Map(), {
      epoch: 0,
      config: null,
      model: config,
      classNames,
      normalization,
      metrics: null,
      history: [],
      bestTestAccuracy: null,
      backend: null,
      savedAt: new Date().toISOString(),
      source,
    });
    return { directory: options.out, weightsSha256, model: config, classNames, normalization, source };
  } finally {
    model.dispose();
  }
}

/** e.g. `resnet18 (cifar stem, width 0.5, 10 classes, 32x32 input)`, for error messages. */
export function describeModel(config: ResNetConfig): string {
  return (
    `${config.arch} (${config.stem} stem, width ${config.width}, ${config.classes} classes, ` +
    `${config.inputSize}x${config.inputSize} input)`
  );
}

function defaultClassNames(classes: number): readonly string[] {
  return classes === CIFAR10_CLASS_NAMES.length
    ? CIFAR10_CLASS_NAMES
    : Array.from({ length: classes }, (_, label) => `class${label}`);
}

function defaultNormalization(config: ResNetConfig): Normalization {
  return config.stem === 'imagenet' ? IMAGENET_NORMALIZATION : CIFAR10_NORMALIZATION;
}

function checkClassNames(classNames: readonly string[], classes: number): readonly string[] {
  if (classNames.length !== classes) {
    throw new SafetensorsImportError(
      'classNames',
      `Expected ${classes} class names (one per output of the model), got ${classNames.length}: ${JSON.stringify(classNames)}.`,
    );
  }
  const invalid = classNames.find((name, index) => name.trim() === '' || classNames.indexOf(name) !== index);
  if (invalid !== undefined) {
    throw new SafetensorsImportError(
      'classNames',
      `Expected distinct, non-empty class names, got ${JSON.stringify(invalid)} in ${JSON.stringify(classNames)}.`,
    );
  }
  return [...classNames];
}

function checkNormalization(normalization: Normalization | null): Normalization | null {
  if (normalization === null) return null;
  if (!isNormalization(normalization)) {
    throw new SafetensorsImportError(
      'normalization',
      `Expected normalization to be 3 finite means and 3 positive standard deviations (R, G, B), got ${JSON.stringify(normalization)}.`,
    );
  }
  return { mean: [...normalization.mean], std: [...normalization.std] };
}

function isNormalization(value: unknown): value is Normalization {
  const triple = (values: unknown, positive: boolean) =>
    Array.isArray(values) &&
    values.length === 3 &&
    values.every((entry) => typeof entry === 'number' && Number.isFinite(entry) && (!positive || entry > 0));
  const candidate = value as Partial<Normalization> | null;
  return typeof value === 'object' && triple(candidate?.mean, false) && triple(candidate?.std, true);
}

/** The class names a resnet-lab export recorded, when they fit the model; anything else is not ours to trust. */
function classNamesFromMetadata(metadata: Record<string, string>, classes: number): readonly string[] | null {
  const parsed = parseJson(metadata[CHECKPOINT_METADATA_KEYS.classNames]);
  const fits =
    Array.isArray(parsed) && parsed.length === classes && parsed.every((name) => typeof name === 'string' && name);
  return fits ? (parsed as string[]) : null;
}

/** The normalization a resnet-lab export recorded (null: none); undefined when there is no usable one. */
function normalizationFromMetadata(metadata: Record<string, string>): Normalization | null | undefined {
  const parsed = parseJson(metadata[CHECKPOINT_METADATA_KEYS.normalization]);
  if (parsed === null) return null;
  return isNormalization(parsed) ? { mean: [...parsed.mean], std: [...parsed.std] } : undefined;
}

/** Metadata is free text: what does not parse counts as not recorded. */
function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The batch count every batch norm of the file shares, or null when they differ or the file has none. */
function commonBatchCount(tensors: ReadonlyMap<string, SafetensorsTensor>): number | null {
  const counts = new Set<bigint>();
  for (const [key, tensor] of tensors) {
    if (!key.endsWith(`.${NUM_BATCHES_TRACKED}`)) continue;
    if (tensor.dtype !== 'I64' || tensor.data.byteLength !== 8) return null;
    counts.add(new DataView(tensor.data.buffer, tensor.data.byteOffset, 8).getBigInt64(0, true));
  }
  if (counts.size !== 1) return null;
  const [count] = counts;
  return count! >= 0n && count! <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(count) : null;
}

async function refuseExistingModel(directory: string): Promise<void> {
  try {
    await fs.access(path.join(directory, MODEL_JSON));
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT', 'ENOTDIR')) return;
    throw error;
  }
  throw new SafetensorsImportError(
    'out',
    `${directory} already holds a model (${MODEL_JSON}); give a new directory for the imported checkpoint.`,
  );
}
