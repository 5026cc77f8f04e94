// The per-stage table of the paper's Table 1 (and the seed's), with parameter and multiply-accumulate counts.
import { ARCHITECTURES, type BlockKind } from './architectures.js';
import { resolveResNetConfig, type ResNetConfigInput, type ResNetStem } from './resnet-config.js';
import { allConvs, blockConvs, planResNet, type ConvPlan, type ResNetPlan } from './resnet-plan.js';

export interface StageSummary {
  /** The paper's layer name: conv1, conv2_x ... conv5_x, fc. */
  readonly name: string;
  /** Spatial output size (height = width). */
  readonly outputSize: number;
  readonly outChannels: number;
  /** Residual blocks in the stage (0 for conv1 and fc). */
  readonly blocks: number;
  /** The stage's cell of the paper's table, e.g. `[3x3, 64; 3x3, 64] x 2`. */
  readonly description: string;
  readonly trainableParams: number;
  /** Multiply-accumulates per image. */
  readonly macs: number;
}

export interface ResNetSummary {
  readonly arch: string;
  readonly stem: ResNetStem;
  readonly block: BlockKind;
  readonly classes: number;
  readonly inputSize: number;
  readonly width: number;
  /** Convolution kernels, batch-norm scales and offsets, and the linear layer's weights and biases. */
  readonly trainableParams: number;
  /** Batch norm's running means and variances. */
  readonly nonTrainableParams: number;
  readonly totalParams: number;
  /** Multiply-accumulates per image of every convolution and the linear layer (batch norm, ReLU, pooling excluded). */
  readonly macs: number;
  readonly stages: readonly StageSummary[];
}

export function summarizeResNet(input: ResNetConfigInput): ResNetSummary {
  return summarizePlan(planResNet(resolveResNetConfig(input)));
}

export function summarizePlan(plan: ResNetPlan): ResNetSummary {
  const { config, stem } = plan;
  const block = ARCHITECTURES[config.arch].block;

  const stemDescription = `${kernel(stem.conv)}, ${stem.conv.outChannels}, stride ${stem.conv.stride}`;
  const stemRow: StageSummary = {
    name: 'conv1',
    outputSize: stem.conv.outputSize,
    outChannels: stem.conv.outChannels,
    blocks: 0,
    description: stemDescription,
    trainableParams: convParams(stem.conv),
    macs: convMacs(stem.conv),
  };

  const stageRows = plan.stages.map((stage, index): StageSummary => {
    const convs = stage.blocks.flatMap(blockConvs);
    const firstBlock = stage.blocks[0]!;
    const layers = firstBlock.convs.map((conv) => `${kernel(conv)}, ${conv.outChannels}`).join('; ');
    const pool =
      index === 0 && stem.maxPool
        ? `${stem.maxPool.kernelSize}x${stem.maxPool.kernelSize} max pool, stride ${stem.maxPool.stride}; `
        : '';
    return {
      name: stage.name,
      outputSize: stage.outputSize,
      outChannels: stage.outChannels,
      blocks: stage.blocks.length,
      description: `${pool}[${layers}] x ${stage.blocks.length}`,
      trainableParams: sum(convs.map(convParams)),
      macs: sum(convs.map(convMacs)),
    };
  });

  const { linear } = plan;
  const linearRow: StageSummary = {
    name: 'fc',
    outputSize: 1,
    outChannels: linear.outFeatures,
    blocks: 0,
    description: `global average pool, ${linear.outFeatures}-d fc`,
    trainableParams: linear.inFeatures * linear.outFeatures + linear.outFeatures,
    macs: linear.inFeatures * linear.outFeatures,
  };

  const stages = [stemRow, ...stageRows, linearRow];
  const trainableParams = sum(stages.map((stage) => stage.trainableParams));
  // Each batch norm keeps a running mean and variance per channel.
  const nonTrainableParams = sum(allConvs(plan).map((conv) => 2 * conv.outChannels));
  return {
    arch: config.arch,
    stem: config.stem,
    block,
    classes: config.classes,
    inputSize: config.inputSize,
    width: config.width,
    trainableParams,
    nonTrainableParams,
    totalParams: trainableParams + nonTrainableParams,
    macs: sum(stages.map((stage) => stage.macs)),
    stages,
  };
}

/** Kernel weights plus the following batch norm's scale and offset. */
function convParams(conv: ConvPlan): number {
  return conv.kernelSize * conv.kernelSize * conv.inChannels * conv.outChannels + 2 * conv.outChannels;
}

function convMacs(conv: ConvPlan): number {
  return conv.kernelSize * conv.kernelSize * conv.inChannels * conv.outChannels * conv.outputSize ** 2;
}

function kernel(conv: ConvPlan): string {
  return `${conv.kernelSize}x${conv.kernelSize}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
