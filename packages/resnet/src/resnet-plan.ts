// Every layer of a ResNet, named after the PyTorch reference's modules, with its shapes: the single description
// that both the TensorFlow.js builder and the summary read, so that what is counted is what is built.
import { ARCHITECTURES, BLOCK_EXPANSION, type BlockKind } from './architectures.js';
import { baseFilters, type ResNetConfig } from './resnet-config.js';

/** A bias-free convolution with PyTorch's symmetric zero padding, followed in a ResNet always by batch norm. */
export interface ConvPlan {
  /** PyTorch module name of the convolution, e.g. `layer2.0.conv1`. */
  readonly name: string;
  /** PyTorch module name of the batch norm that follows it, e.g. `layer2.0.bn1`. */
  readonly batchNormName: string;
  readonly kernelSize: number;
  readonly stride: number;
  /** Zero padding on every side, as PyTorch's `padding` argument. */
  readonly padding: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Spatial size (height = width) of the input and the output. */
  readonly inputSize: number;
  readonly outputSize: number;
}

export interface BlockPlan {
  /** PyTorch module name, e.g. `layer1.0`. */
  readonly name: string;
  readonly kind: BlockKind;
  /** Main path: conv1, conv2 (and conv3 for bottleneck blocks), each with its batch norm. */
  readonly convs: readonly ConvPlan[];
  /** 1x1 projection (`shortcut.0`) with its batch norm (`shortcut.1`); null for the identity shortcut. */
  readonly shortcut: ConvPlan | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly outputSize: number;
}

export interface StagePlan {
  /** The paper's stage name: conv2_x ... conv5_x. */
  readonly name: string;
  /** The PyTorch reference's module name: layer1 ... layer4. */
  readonly moduleName: string;
  readonly blocks: readonly BlockPlan[];
  readonly outChannels: number;
  readonly outputSize: number;
}

export interface MaxPoolPlan {
  readonly name: string;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly outputSize: number;
}

export interface ResNetPlan {
  readonly config: ResNetConfig;
  /** `conv1` and `bn1`, then for the imagenet stem a max-pool. */
  readonly stem: { readonly conv: ConvPlan; readonly maxPool: MaxPoolPlan | null };
  readonly stages: readonly StagePlan[];
  /** Global average pool, then the fully connected layer `linear`. */
  readonly linear: { readonly name: string; readonly inFeatures: number; readonly outFeatures: number };
}

export const INPUT_CHANNELS = 3;
const STAGE_STRIDES = [1, 2, 2, 2] as const;

/** Output size of a convolution or pooling window, as PyTorch computes it. */
export function convOutputSize(inputSize: number, kernelSize: number, stride: number, padding: number): number {
  return Math.floor((inputSize + 2 * padding - kernelSize) / stride) + 1;
}

export function planResNet(config: ResNetConfig): ResNetPlan {
  const architecture = ARCHITECTURES[config.arch];
  const expansion = BLOCK_EXPANSION[architecture.block];
  const filters = baseFilters(config.width);

  const stemConv =
    config.stem === 'cifar'
      ? conv('conv1', 'bn1', 3, 1, 1, INPUT_CHANNELS, filters, config.inputSize)
      : conv('conv1', 'bn1', 7, 2, 3, INPUT_CHANNELS, filters, config.inputSize);
  const maxPool: MaxPoolPlan | null =
    config.stem === 'imagenet'
      ? {
          name: 'maxpool',
          kernelSize: 3,
          stride: 2,
          padding: 1,
          outputSize: convOutputSize(stemConv.outputSize, 3, 2, 1),
        }
      : null;

  let channels = filters;
  let size = maxPool?.outputSize ?? stemConv.outputSize;
  const stages = architecture.blocksPerStage.map((blockCount, stageIndex): StagePlan => {
    const planes = filters * 2 ** stageIndex;
    const moduleName = `layer${stageIndex + 1}`;
    const blocks: BlockPlan[] = [];
    for (let blockIndex = 0; blockIndex < blockCount; blockIndex++) {
      // As in `_make_layer`: only the first block of a stage strides.
      const stride = blockIndex === 0 ? STAGE_STRIDES[stageIndex]! : 1;
      const block = planBlock(
        `${moduleName}.${blockIndex}`,
        architecture.block,
        channels,
        planes,
        expansion,
        stride,
        size,
      );
      blocks.push(block);
      channels = block.outChannels;
      size = block.outputSize;
    }
    return { name: `conv${stageIndex + 2}_x`, moduleName, blocks, outChannels: channels, outputSize: size };
  });

  return {
    config,
    stem: { conv: stemConv, maxPool },
    stages,
    linear: { name: 'linear', inFeatures: channels, outFeatures: config.classes },
  };
}

function planBlock(
  name: string,
  kind: BlockKind,
  inChannels: number,
  planes: number,
  expansion: number,
  stride: number,
  inputSize: number,
): BlockPlan {
  const outChannels = planes * expansion;
  const convs: ConvPlan[] = [];
  if (kind === 'basic') {
    convs.push(conv(`${name}.conv1`, `${name}.bn1`, 3, stride, 1, inChannels, planes, inputSize));
    convs.push(conv(`${name}.conv2`, `${name}.bn2`, 3, 1, 1, planes, planes, convs[0]!.outputSize));
  } else {
    // Stride on the 3x3 convolution, as torchvision and kuangliu/pytorch-cifar place it ("ResNet v1.5").
    convs.push(conv(`${name}.conv1`, `${name}.bn1`, 1, 1, 0, inChannels, planes, inputSize));
    convs.push(conv(`${name}.conv2`, `${name}.bn2`, 3, stride, 1, planes, planes, inputSize));
    convs.push(conv(`${name}.conv3`, `${name}.bn3`, 1, 1, 0, planes, outChannels, convs[1]!.outputSize));
  }
  // The seed's BasicBlock projects only when the stride is not 1; a change of channel count needs a projection
  // too, or the residual sum has mismatched shapes (the first bottleneck block goes from 64 to 256 channels).
  const needsProjection = stride !== 1 || inChannels !== outChannels;
  const shortcut = needsProjection
    ? conv(`${name}.shortcut.0`, `${name}.shortcut.1`, 1, stride, 0, inChannels, outChannels, inputSize)
    : null;
  return { name, kind, convs, shortcut, inChannels, outChannels, outputSize: convs.at(-1)!.outputSize };
}

function conv(
  name: string,
  batchNormName: string,
  kernelSize: number,
  stride: number,
  padding: number,
  inChannels: number,
  outChannels: number,
  inputSize: number,
): ConvPlan {
  const outputSize = convOutputSize(inputSize, kernelSize, stride, padding);
  return { name, batchNormName, kernelSize, stride, padding, inChannels, outChannels, inputSize, outputSize };
}

/** Every convolution of the network in forward order (stem, then each block's main path and shortcut). */
export function allConvs(plan: ResNetPlan): ConvPlan[] {
  return [plan.stem.conv, ...plan.stages.flatMap((stage) => stage.blocks.flatMap(blockConvs))];
}

export function blockConvs(block: BlockPlan): ConvPlan[] {
  return block.shortcut ? [...block.convs, block.shortcut] : [...block.convs];
}
