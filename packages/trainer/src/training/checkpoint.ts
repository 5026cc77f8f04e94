// A checkpoint is one self-describing directory: weights, momentum buffers, epoch, config, metrics, class names.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { markReluAfterBatchNorm, resolveResNetConfig, type ResNetConfig } from '@resnet-lab/resnet';
import type { Normalization } from '../data/index.js';
import {
  ModelDirectoryError,
  captureModelArtifacts,
  readModelArtifacts,
  readModelMetadata,
  weightByteLength,
  writeModelArtifacts,
} from '../model-directory.js';
import { INIT_BEFORE_IT_WAS_RECORDED, type TrainConfig } from './train-config.js';
import type { EpochMetrics } from './training-events.js';

export const CHECKPOINT_FORMAT = 'resnet-lab-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** Subdirectories of a run's output directory. */
export const LAST_CHECKPOINT = path.join('checkpoints', 'last');
export const BEST_CHECKPOINT = path.join('checkpoints', 'best');

/** Weight specs of this group hold the optimizer's state; tfjs's loader skips them when loading the model. */
export const OPTIMIZER_GROUP = 'optimizer';
const MOMENTUM_SUFFIX = '/momentum_buffer';

export interface CheckpointMetadata {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: typeof CHECKPOINT_VERSION;
  /** Epochs completed; 0 for imported weights. */
  readonly epoch: number;
  /** The run's training settings; null for weights imported from elsewhere (see `source`). */
  readonly config: TrainConfig | null;
  readonly model: ResNetConfig;
  readonly classNames: readonly string[];
  /** Applied to pixels scaled to [0, 1] before the model; null for none. */
  readonly normalization: Normalization | null;
  /** The last epoch's figures; null for imported weights. */
  readonly metrics: EpochMetrics | null;
  readonly history: readonly EpochMetrics[];
  readonly bestTestAccuracy: number | null;
  /** Backend name and device that trained the last epoch; null for imported weights. */
  readonly backend: string | null;
  readonly savedAt: string;
  /** Where imported weights came from; null for weights trained here (and absent from older checkpoints). */
  readonly source: CheckpointSource | null;
}

/** The file a checkpoint's weights were imported from. */
export interface CheckpointSource {
  readonly format: 'safetensors';
  /** The file's name as given to the import (no directory), or null when it came as bytes only. */
  readonly file: string | null;
  /** sha256 of the whole file, hex. */
  readonly sha256: string;
  /** The file's `__metadata__` string pairs. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The file's batch-norm `num_batches_tracked`, when every layer had the same; written back on export. */
  readonly numBatchesTracked: number | null;
}

export interface LoadedCheckpoint {
  /** The directory, or tar archive, it was loaded from. */
  readonly directory: string;
  readonly model: tf.LayersModel;
  readonly metadata: CheckpointMetadata;
  /** Momentum buffers by parameter name; the caller owns the tensors. */
  readonly momentumBuffers: Map<string, tf.Tensor>;
}

/** What a caller records in a checkpoint; saveCheckpoint adds the format and version. */
export type CheckpointRecord = Omit<CheckpointMetadata, 'format' | 'version' | 'source'> & {
  readonly source?: CheckpointSource | null | undefined;
};

/**
 * Writes one checkpoint into each of `directories` (e.g. last and best), serializing the model and the momentum
 * buffers once for all of them. Returns the weights file's sha256, the same in every directory.
 */
export async function saveCheckpoint(
  directories: readonly string[],
  model: tf.LayersModel,
  momentumBuffers: ReadonlyMap<string, tf.Tensor>,
  record: CheckpointRecord,
): Promise<string> {
  const artifacts = await captureModelArtifacts(model);
  const optimizer = await tf.io.encodeWeights(
    [...momentumBuffers].map(([name, tensor]) => ({ name: `${name}${MOMENTUM_SUFFIX}`, tensor })),
    OPTIMIZER_GROUP,
  );
  const checkpoint: tf.io.ModelArtifacts = {
    ...artifacts,
    weightSpecs: [...artifacts.weightSpecs!, ...optimizer.specs],
    weightData: tf.io.CompositeArrayBuffer.join([
      tf.io.CompositeArrayBuffer.join(artifacts.weightData),
      optimizer.data,
    ]),
  };
  const metadata: CheckpointMetadata = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...record,
    source: record.source ?? null,
  };
  let weightsSha256 = '';
  for (const directory of directories) {
    const saved = await writeModelArtifacts(directory, checkpoint, {
      metadata: metadata as unknown as Record<string, object>,
      contents: 'checkpoint',
    });
    weightsSha256 = saved.weightsSha256;
  }
  return weightsSha256;
}

/**
 * A checkpoint's epoch, config, metrics and class names, without loading its weights. `directory` may also be a tar
 * archive of a checkpoint directory (the API's download), as for loadCheckpoint.
 */
export async function readCheckpointMetadata(directory: string): Promise<CheckpointMetadata> {
  return parseCheckpointMetadata(await readModelMetadata(directory), directory);
}

/** Loads a checkpoint directory, or a tar archive of one (the API's download, read in memory, not extracted). */
export async function loadCheckpoint(directory: string): Promise<LoadedCheckpoint> {
  const artifacts = await readModelArtifacts(directory);
  const metadata = parseCheckpointMetadata(artifacts.userDefinedMetadata, directory);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  // Not saved with the model: the ReLUs its batch norms may compute in training (see markReluAfterBatchNorm).
  markReluAfterBatchNorm(model);
  const momentumBuffers = new Map<string, tf.Tensor>();
  const specs = artifacts.weightSpecs!;
  const optimizerSpecs = specs.filter((spec) => spec.group === OPTIMIZER_GROUP);
  if (optimizerSpecs.length > 0) {
    // saveCheckpoint appends the optimizer's weights after the model's: decode only that tail.
    const modelBytes = specs
      .filter((spec) => spec.group !== OPTIMIZER_GROUP)
      .reduce((total, spec) => total + weightByteLength(spec), 0);
    const optimizerData = tf.io.CompositeArrayBuffer.join(artifacts.weightData).slice(modelBytes);
    const decoded = tf.io.decodeWeights(optimizerData, optimizerSpecs);
    for (const spec of optimizerSpecs) {
      momentumBuffers.set(spec.name.slice(0, -MOMENTUM_SUFFIX.length), decoded[spec.name]!);
    }
  }
  return { directory, model, metadata, momentumBuffers };
}

/** Checks a checkpoint's stored metadata (format, version, ResNet config) and fills fields older versions lack. */
export function parseCheckpointMetadata(value: unknown, directory: string): CheckpointMetadata {
  const metadata = value as Partial<CheckpointMetadata> | undefined;
  if (metadata?.format !== CHECKPOINT_FORMAT) {
    throw new ModelDirectoryError(
      `${directory} is a saved model but not a resnet-lab checkpoint (its metadata has no format '${CHECKPOINT_FORMAT}').`,
    );
  }
  if (metadata.version !== CHECKPOINT_VERSION) {
    throw new ModelDirectoryError(
      `Checkpoint ${directory} has format version ${String(metadata.version)}; this resnet-lab reads version ${CHECKPOINT_VERSION}.`,
    );
  }
  // Re-validating the stored model configuration catches a hand-edited or damaged record early.
  resolveResNetConfig(metadata.model as ResNetConfig);
  const config = metadata.config ?? null;
  return {
    ...metadata,
    config:
      config === null
        ? null
        : { ...config, init: (config as Partial<TrainConfig>).init ?? INIT_BEFORE_IT_WAS_RECORDED },
    source: metadata.source ?? null,
  } as CheckpointMetadata;
}
