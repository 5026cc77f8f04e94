// The ResNet family of "Deep Residual Learning for Image Recognition" (He et al. 2015), Table 1.

/** The residual block kinds: two 3x3 convolutions, or 1x1 -> 3x3 -> 1x1 with a 4x wider output. */
export type BlockKind = 'basic' | 'bottleneck';

export interface Architecture {
  readonly block: BlockKind;
  /** Blocks per stage, conv2_x ... conv5_x (the PyTorch reference's layer1 ... layer4). */
  readonly blocksPerStage: readonly [number, number, number, number];
}

export const ARCHITECTURES = {
  resnet18: { block: 'basic', blocksPerStage: [2, 2, 2, 2] },
  resnet34: { block: 'basic', blocksPerStage: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', blocksPerStage: [3, 4, 6, 3] },
  resnet101: { block: 'bottleneck', blocksPerStage: [3, 4, 23, 3] },
  resnet152: { block: 'bottleneck', blocksPerStage: [3, 8, 36, 3] },
} as const satisfies Record<string, Architecture>;

export type ResNetArch = keyof typeof ARCHITECTURES;

export const RESNET_ARCHS = Object.keys(ARCHITECTURES) as ResNetArch[];

/** Output channels of a block relative to its `planes` (the PyTorch reference's `expansion`). */
export const BLOCK_EXPANSION: Readonly<Record<BlockKind, number>> = { basic: 1, bottleneck: 4 };
