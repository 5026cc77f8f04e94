// How a checkpoint is evaluated on a dataset: loaded as its training run loaded its data, in its batch size; for
// imported weights, which record no training run, at the model's input size with the trainer's defaults.
import type { LoadDatasetOptions } from '../data/index.js';
import type { CheckpointMetadata } from './checkpoint.js';
import { TRAIN_DEFAULTS } from './train-config.js';
import { datasetOptionsFor } from './train.js';

export interface EvaluationSettings {
  /** Options for loadDataset (add a cacheDirectory); the same as training used, for a trained checkpoint. */
  readonly datasetOptions: LoadDatasetOptions;
  /** Images per inference batch: the run's batch size, else TRAIN_DEFAULTS.batchSize. */
  readonly batchSize: number;
  /** The data the checkpoint was trained on (its config.data), the default to evaluate; null for imported weights. */
  readonly trainedOn: string | null;
}

export function evaluationSettings(metadata: CheckpointMetadata): EvaluationSettings {
  const { config } = metadata;
  if (config !== null) {
    return { datasetOptions: datasetOptionsFor(config), batchSize: config.batchSize, trainedOn: config.data };
  }
  return {
    datasetOptions: { testFraction: TRAIN_DEFAULTS.testFraction, imageSize: metadata.model.inputSize },
    batchSize: TRAIN_DEFAULTS.batchSize,
    trainedOn: null,
  };
}
