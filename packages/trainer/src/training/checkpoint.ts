// A checkpoint is one self-describing directory: weights, momentum buffers, epoch, config, metrics, class names.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveResNetConfig, type ResNetConfig } from '@resnet-lab/resnet';
import type { Normalization } from '../data/index.js';
import {
  ModelDirectoryError,
  captureModelArtifacts,
  readModelArtifacts,
  readModelMetadata,
  writeModelArtifacts,
} from '../model-directory.js';
import type { TrainConfig } from './train-config.js';
import type { EpochMetrics } from './training-events.js';

export const CHECKPOINT_FORMAT = 'resnet-lab-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** Subdirectories of a run's output directory. */
export const LAST_CHECKPOINT = path.join('checkpoints', 'last');
export const BEST_CHECKPOINT = path.join('checkpoints', 'best');

/** Weight specs of this group hold the optimizer's state; tfjs's loader skips them when loading the model. */
const OPTIMIZER_GROUP = 'optimizer';
const MOMENTUM_SUFFIX = '/momentum_buffer';

export interface CheckpointMetadata {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: typeof CHECKPOINT_VERSION;
  /** Epochs completed. */
  readonly epoch: number;
  readonly config: TrainConfig;
  readonly model: ResNetConfig;
  readonly classNames: readonly string[];
  /** Applied to pixels scaled to [0, 1] before the model; null for none. */
  readonly normalization: Normalization | null;
  readonly metrics: EpochMetrics;
  readonly history: readonly EpochMetrics[];
  readonly bestTestAccuracy: number | null;
  /** Backend name and device that trained the last epoch. */
  readonly backend: string;
  readonly savedAt: string;
}

export interface LoadedCheckpoint {
  readonly directory: string;
  readonly model: tf.LayersModel;
  readonly metadata: CheckpointMetadata;
  /** Momentum buffers by parameter name; the caller owns the tensors. */
  readonly momentumBuffers: Map<string, tf.Tensor>;
}

export async function saveCheckpoint(
  directory: string,
  model: tf.LayersModel,
  momentumBuffers: ReadonlyMap<string, tf.Tensor>,
  metadata: CheckpointMetadata,
): Promise<void> {
  const artifacts = await captureModelArtifacts(model);
  const optimizer = await tf.io.encodeWeights(
    [...momentumBuffers].map(([name, tensor]) => ({ name: `${name}${MOMENTUM_SUFFIX}`, tensor })),
    OPTIMIZER_GROUP,
  );
  await writeModelArtifacts(
    directory,
    {
      ...artifacts,
      weightSpecs: [...artifacts.weightSpecs!, ...optimizer.specs],
      weightData: tf.io.CompositeArrayBuffer.join([
        tf.io.CompositeArrayBuffer.join(artifacts.weightData),
        optimizer.data,
      ]),
    },
    { metadata: metadata as unknown as Record<string, object> },
  );
}

/** A checkpoint's epoch, config, metrics and class names, without loading its weights. */
export async function readCheckpointMetadata(directory: string): Promise<CheckpointMetadata> {
  return parseMetadata(await readModelMetadata(directory), directory);
}

export async function loadCheckpoint(directory: string): Promise<LoadedCheckpoint> {
  const artifacts = await readModelArtifacts(directory);
  const metadata = parseMetadata(artifacts.userDefinedMetadata, directory);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const momentumBuffers = new Map<string, tf.Tensor>();
  const optimizerSpecs = artifacts.weightSpecs!.filter((spec) => spec.group === OPTIMIZER_GROUP);
  if (optimizerSpecs.length > 0) {
    const decoded = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
    for (const spec of optimizerSpecs) {
      momentumBuffers.set(spec.name.slice(0, -MOMENTUM_SUFFIX.length), decoded[spec.name]!);
    }
    const kept = new Set(optimizerSpecs.map((spec) => spec.name));
    for (const [name, tensor] of Object.entries(decoded)) if (!kept.has(name)) tensor.dispose();
  }
  return { directory, model, metadata, momentumBuffers };
}

function parseMetadata(value: unknown, directory: string): CheckpointMetadata {
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
  return metadata as CheckpointMetadata;
}
