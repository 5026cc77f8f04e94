// Public entry point of @resnet-lab/resnet: the ResNet family, its configuration, plan and summary.
export { ARCHITECTURES, BLOCK_EXPANSION, RESNET_ARCHS } from './architectures.js';
export type { Architecture, BlockKind, ResNetArch } from './architectures.js';
export {
  BASE_FILTERS,
  MAX_CLASSES,
  MAX_INPUT_SIZE,
  MAX_WIDTH,
  MIN_INPUT_SIZE,
  RESNET_STEMS,
  ResNetConfigError,
  STEM_DEFAULTS,
  baseFilters,
  resolveResNetConfig,
} from './resnet-config.js';
export type { ResNetConfig, ResNetConfigInput, ResNetStem } from './resnet-config.js';
export { INPUT_CHANNELS, allConvs, blockConvs, convOutputSize, planResNet } from './resnet-plan.js';
export type { BlockPlan, ConvPlan, MaxPoolPlan, ResNetPlan, StagePlan } from './resnet-plan.js';
export { summarizePlan, summarizeResNet } from './resnet-summary.js';
export type { ResNetSummary, StageSummary } from './resnet-summary.js';
export { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, buildFromPlan, buildResNet } from './build-resnet.js';
export { markReluAfterBatchNorm } from './relu-after-batch-norm.js';
export {
  BATCH_NORM_KERNEL_MIN_ELEMENTS,
  BATCH_NORM_RUNNING_STATISTICS,
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  hasBatchNormRunningStatisticsKernel,
  hasBatchNormTrainingKernels,
} from './batch-norm-training-kernels.js';
export type { BatchNormRunningStatisticsAttrs, BatchNormTrainingAttrs } from './batch-norm-training-kernels.js';
export type { BuildResNetOptions } from './build-resnet.js';
export {
  RESNET_INITS,
  defaultInit,
  kaimingNormalFanOutStd,
  parseResNetInit,
  pytorchDefaultBound,
} from './initialization.js';
export type { ResNetInit } from './initialization.js';
export { pytorchStateDictKey } from './pytorch-names.js';
export {
  MAX_HEADER_BYTES,
  SAFETENSORS_DTYPE_BYTES,
  SafetensorsFormatError,
  elementCount,
  formatShape,
  readSafetensors,
  writeSafetensors,
} from './safetensors.js';
export type { SafetensorsDtype, SafetensorsFile, SafetensorsTensor } from './safetensors.js';
export {
  NUM_BATCHES_TRACKED,
  StateDictMismatchError,
  exportStateDict,
  loadStateDict,
  pytorchShape,
} from './pytorch-state-dict.js';
export type { ExportStateDictOptions, LoadStateDictOptions } from './pytorch-state-dict.js';
export { ResNetBatchNormalization } from './batch-normalization.js';
export { foldBatchNorm } from './fold-batch-norm.js';
export type { BatchNormWeights, FoldedConvolution } from './fold-batch-norm.js';
export type { BatchNormalizationArgs } from './batch-normalization.js';
