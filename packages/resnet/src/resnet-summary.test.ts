import { describe, expect, it } from 'vitest';
import { summarizeResNet } from './resnet-summary.js';

describe('summarizeResNet', () => {
  // Trainable parameter counts of the PyTorch reference implementations (kuangliu/pytorch-cifar for the CIFAR
  // network, torchvision for the ImageNet ones).
  it.each([
    ['resnet18', 'cifar', 10, 11_173_962],
    ['resnet18', 'imagenet', 1000, 11_689_512],
    ['resnet34', 'imagenet', 1000, 21_797_672],
    ['resnet50', 'imagenet', 1000, 25_557_032],
    ['resnet101', 'imagenet', 1000, 44_549_160],
    ['resnet152', 'imagenet', 1000, 60_192_808],
  ] as const)('%s with the %s stem and %i classes has %i trainable parameters', (arch, stem, classes, expected) => {
    expect(summarizeResNet({ arch, stem, classes }).trainableParams).toBe(expected);
  });

  // The seed's table (the paper's Table 1) gives 1.8, 3.6, 3.8, 7.6, 11.3 x 10^9 at 224x224. ResNet50+ here
  // stride on the 3x3 convolution (as torchvision does), which costs a little more than the paper's 1x1 stride.
  it.each([
    ['resnet18', 1.8e9],
    ['resnet34', 3.6e9],
    ['resnet50', 3.8e9],
    ['resnet101', 7.6e9],
    ['resnet152', 11.3e9],
  ] as const)('%s at 224x224 needs within 10%% of %d multiply-accumulates', (arch, paperMacs) => {
    const { macs, inputSize } = summarizeResNet({ arch, stem: 'imagenet' });
    expect(inputSize).toBe(224);
    expect(Math.abs(macs - paperMacs) / paperMacs).toBeLessThan(0.1);
  });

  it('counts the CIFAR resnet18 forward pass exactly: 555,417,600 conv plus 5,120 linear MACs', () => {
    const summary = summarizeResNet({ arch: 'resnet18' });
    expect(summary.macs).toBe(555_422_720);
    expect(summary.stages.find((stage) => stage.name === 'fc')?.macs).toBe(5_120);
  });

  it('separates batch norm running statistics from the trainable parameters', () => {
    const summary = summarizeResNet({ arch: 'resnet18' });
    // 20 batch norms (17 on the main path, 3 on shortcuts) over 4,800 channels, each with a mean and a variance.
    expect(summary.nonTrainableParams).toBe(9_600);
    expect(summary.totalParams).toBe(11_183_562);
  });

  it('lays out the CIFAR resnet18 stages as the seed does, ending at 4x4 before the average pool', () => {
    const summary = summarizeResNet({ arch: 'resnet18' });
    expect(
      summary.stages.map(({ name, outputSize, outChannels, blocks, description }) => ({
        name,
        outputSize,
        outChannels,
        blocks,
        description,
      })),
    ).toEqual([
      { name: 'conv1', outputSize: 32, outChannels: 64, blocks: 0, description: '3x3, 64, stride 1' },
      { name: 'conv2_x', outputSize: 32, outChannels: 64, blocks: 2, description: '[3x3, 64; 3x3, 64] x 2' },
      { name: 'conv3_x', outputSize: 16, outChannels: 128, blocks: 2, description: '[3x3, 128; 3x3, 128] x 2' },
      { name: 'conv4_x', outputSize: 8, outChannels: 256, blocks: 2, description: '[3x3, 256; 3x3, 256] x 2' },
      { name: 'conv5_x', outputSize: 4, outChannels: 512, blocks: 2, description: '[3x3, 512; 3x3, 512] x 2' },
      { name: 'fc', outputSize: 1, outChannels: 10, blocks: 0, description: 'global average pool, 10-d fc' },
    ]);
  });

  it("lays out the ImageNet resnet50 stages as the paper's table: 112, 56, 28, 14, 7", () => {
    const summary = summarizeResNet({ arch: 'resnet50', stem: 'imagenet' });
    expect(summary.stages.map((stage) => [stage.name, stage.outputSize, stage.outChannels, stage.blocks])).toEqual([
      ['conv1', 112, 64, 0],
      ['conv2_x', 56, 256, 3],
      ['conv3_x', 28, 512, 4],
      ['conv4_x', 14, 1024, 6],
      ['conv5_x', 7, 2048, 3],
      ['fc', 1, 1000, 0],
    ]);
    expect(summary.stages[0]?.description).toBe('7x7, 64, stride 2');
    expect(summary.stages[1]?.description).toBe('3x3 max pool, stride 2; [1x1, 64; 3x3, 64; 1x1, 256] x 3');
  });

  it('scales every stage with the width multiplier', () => {
    const summary = summarizeResNet({ arch: 'resnet18', width: 0.25 });
    expect(summary.stages.map((stage) => stage.outChannels)).toEqual([16, 16, 32, 64, 128, 10]);
    // Counted independently: 16 base filters, 3x3 convs, 1x1 projections into layer2..4, a 128 -> 10 linear layer.
    expect(summary.trainableParams).toBe(701_466);
  });

  it('sums the stage rows into the totals', () => {
    const summary = summarizeResNet({ arch: 'resnet101', stem: 'imagenet' });
    const stageParams = summary.stages.reduce((total, stage) => total + stage.trainableParams, 0);
    const stageMacs = summary.stages.reduce((total, stage) => total + stage.macs, 0);
    expect(stageParams).toBe(summary.trainableParams);
    expect(stageMacs).toBe(summary.macs);
  });
});
