// Public entry point of @resnet-lab/trainer: datasets, backends, training, checkpoints, evaluation, prediction.
export * from './backend/index.js';
export * from './data/index.js';
export { nodeFileSystem, writeFileAtomic } from './atomic-file.js';
export type { DurableFileSystem } from './atomic-file.js';
export { DiskFullError, describeDiskFull, diskFullEvidence, isDiskFull } from './disk-full.js';
export type { DiskFullDetails } from './disk-full.js';
export { freeSpace } from './free-space.js';
export {
  MODEL_JSON,
  ModelDirectoryError,
  captureModelArtifacts,
  loadModelFromDirectory,
  readModelArtifacts,
  readModelMetadata,
  saveModelToDirectory,
  writeModelArtifacts,
} from './model-directory.js';
export type { ModelMetadata, SaveModelOptions, SavedModel } from './model-directory.js';
export {
  INIT_BEFORE_IT_WAS_RECORDED,
  NORMALIZATIONS,
  SCHEDULES,
  TRAIN_DEFAULTS,
  TrainConfigError,
  resolveTrainConfig,
} from './training/train-config.js';
export type { NormalizationName, ScheduleName, TrainConfig, TrainConfigInput } from './training/train-config.js';
export { learningRateAt } from './training/learning-rate-schedule.js';
export { SgdOptimizer } from './training/sgd.js';
export { namedParameters, trainStep } from './training/train-step.js';
export type { StepBatch } from './training/train-step.js';
export type { NamedParameter, SgdOptions } from './training/sgd.js';
export { datasetOptionsFor, epochCheckpointDirectory, train } from './training/train.js';
export type { TrainOptions } from './training/train.js';
export type {
  BackendReport,
  BatchEvent,
  EpochEvent,
  EpochMetrics,
  StartEvent,
  TrainResult,
  TrainingEvent,
} from './training/training-events.js';
export {
  BEST_CHECKPOINT,
  LAST_CHECKPOINT,
  loadCheckpoint,
  readCheckpointMetadata,
  saveCheckpoint,
} from './training/checkpoint.js';
export type { CheckpointMetadata, CheckpointSource, LoadedCheckpoint } from './training/checkpoint.js';
export { loadInferenceCheckpoint } from './training/load-inference-checkpoint.js';
export type { InferenceCheckpoint } from './training/load-inference-checkpoint.js';
export type { ResNetWeights } from './training/resnet-weights.js';
export { evaluateModel } from './training/evaluate-model.js';
export { INFERENCE_PATHS, InferenceModel, inferLogits } from './training/inference-model.js';
export type { InferencePath, InferenceRunner } from './training/inference-model.js';
export { EVAL_SPLITS, defaultEvalSplit, evaluationSplit, isEvalSplit } from './training/evaluation-split.js';
export type { EvalSplit } from './training/evaluation-split.js';
export { evaluationSettings } from './training/evaluation-settings.js';
export type { EvaluationSettings } from './training/evaluation-settings.js';
export {
  NAMED_NORMALIZATIONS,
  SafetensorsImportError,
  describeModel,
  importSafetensors,
} from './pytorch/import-safetensors.js';
export type {
  ImportSafetensorsOptions,
  ImportedCheckpoint,
  NormalizationChoice,
} from './pytorch/import-safetensors.js';
export { exportSafetensors } from './pytorch/export-safetensors.js';
export { CHECKPOINT_METADATA_KEYS, SAFETENSORS_PRODUCER, safetensorsMetadata } from './pytorch/safetensors-metadata.js';
export type { EvaluateOptions, Evaluation } from './training/evaluate-model.js';
export { classifyImages, modelInputSize, predictImages } from './training/predict-images.js';
export type {
  ClassProbability,
  Classifier,
  ImageInput,
  ImagePrediction,
  PreparedImage,
} from './training/predict-images.js';
export { benchmarkTraining } from './training/benchmark-training.js';
export { OutOfMemoryError, explainStepFailure } from './training/out-of-memory-error.js';
export type { BenchmarkOptions, BenchmarkResult } from './training/benchmark-training.js';
export { runCli } from './cli/run-cli.js';
export type { CliIo } from './cli/cli-io.js';
export { TrainingPrinter } from './cli/training-printer.js';
export type { PrinterOptions } from './cli/training-printer.js';
