import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildResNet } from './build-resnet.js';
import type { ResNetConfigInput } from './resnet-config.js';
import { summarizeResNet } from './resnet-summary.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const built: tf.LayersModel[] = [];
function build(input: ResNetConfigInput, seed?: number): tf.LayersModel {
  const model = buildResNet(input, { seed });
  built.push(model);
  return model;
}
afterEach(() => {
  built.splice(0).forEach((model) => model.dispose());
});

function projectedBlocks(model: tf.LayersModel): string[] {
  return model.layers
    .map((layer) => layer.name)
    .filter((name) => name.endsWith('.shortcut.0'))
    .map((name) => name.replace('.shortcut.0', ''));
}

describe('buildResNet', () => {
  it('builds exactly the parameters that the summary counts', () => {
    const cifar = build({ arch: 'resnet18' });
    const trainable = cifar.trainableWeights.reduce(
      (total, weight) => total + weight.shape.reduce((a, b) => a! * b!, 1)!,
      0,
    );
    expect(trainable).toBe(11_173_962);
    expect(cifar.countParams()).toBe(summarizeResNet({ arch: 'resnet18' }).totalParams);

    const bottleneck = { arch: 'resnet50', stem: 'imagenet', classes: 7, inputSize: 64, width: 0.25 } as const;
    expect(build(bottleneck).countParams()).toBe(summarizeResNet(bottleneck).totalParams);
  });

  it.each([
    [{ arch: 'resnet18', width: 0.125 }, [3, 10]],
    [{ arch: 'resnet34', stem: 'imagenet', classes: 5, inputSize: 64, width: 0.125 }, [2, 5]],
    [{ arch: 'resnet50', stem: 'imagenet', classes: 3, inputSize: 32, width: 0.0625 }, [4, 3]],
    [{ arch: 'resnet18', classes: 4, inputSize: 48, width: 0.125 }, [1, 4]],
  ] as const)('maps images of %j to logits of shape [batch, classes]', (input, [batch, classes]) => {
    const model = build(input);
    const size = model.inputs[0]!.shape[1]!;
    expect(model.inputs[0]!.shape).toEqual([null, size, size, 3]);
    expect(model.outputs[0]!.shape).toEqual([null, classes]);
    const logits = tf.tidy(() => model.predict(tf.randomUniform([batch, size, size, 3])) as tf.Tensor);
    expect(logits.shape).toEqual([batch, classes]);
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    logits.dispose();
  });

  it('leaks no tensor across predict calls', () => {
    const model = build({ arch: 'resnet18', width: 0.125 });
    const images = tf.randomUniform([2, 32, 32, 3]);
    const predict = () => {
      const logits = model.predict(images) as tf.Tensor;
      logits.dataSync();
      logits.dispose();
    };
    predict();
    const before = tf.memory().numTensors;
    for (let call = 0; call < 5; call++) predict();
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });

  it.each([
    // Basic blocks keep their channel count within a stage: only the stride-2 first blocks project.
    ['resnet18', ['layer2.0', 'layer3.0', 'layer4.0']],
    ['resnet34', ['layer2.0', 'layer3.0', 'layer4.0']],
    // Bottleneck blocks also project in layer1.0, which keeps stride 1 but widens 64 -> 256 channels.
    ['resnet50', ['layer1.0', 'layer2.0', 'layer3.0', 'layer4.0']],
    ['resnet101', ['layer1.0', 'layer2.0', 'layer3.0', 'layer4.0']],
  ] as const)('%s projects its shortcut in exactly %j', (arch, expected) => {
    expect(projectedBlocks(build({ arch, width: 1 / 64 }))).toEqual(expected);
  });

  it('gives every shortcut projection a 1x1 strided convolution and its batch norm', () => {
    const model = build({ arch: 'resnet50', width: 0.0625 });
    const projection = model.getLayer('layer2.0.shortcut.0').getConfig();
    expect(projection).toMatchObject({ kernelSize: [1, 1], strides: [2, 2], filters: 32, useBias: false });
    expect(model.getLayer('layer1.0.shortcut.0').getConfig()).toMatchObject({ strides: [1, 1], filters: 16 });
    expect(model.getLayer('layer2.0.shortcut.1').getClassName()).toBe('BatchNormalization');
  });

  it('uses PyTorch batch norm semantics and bias-free convolutions', () => {
    const model = build({ arch: 'resnet18', width: 0.125 });
    const batchNorms = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
    const convs = model.layers.filter((layer) => layer.getClassName() === 'Conv2D');
    expect(batchNorms).toHaveLength(20);
    expect(convs).toHaveLength(20);
    for (const layer of batchNorms) expect(layer.getConfig()).toMatchObject({ momentum: 0.9, epsilon: 1e-5 });
    for (const layer of convs) expect(layer.getConfig().useBias).toBe(false);
  });

  it('centres strided 3x3 windows as PyTorch does, with one pixel of zero padding on every side', () => {
    const model = build({ arch: 'resnet18', width: 1 / 64 });
    const conv = model.getLayer('layer2.0.conv1');
    // A kernel that copies the centre tap: output (i, j) is then input (2i, 2j) with PyTorch's symmetric padding,
    // but input (2i + 1, 2j + 1) with TensorFlow's 'same' padding, which pads only the bottom and right.
    // Width 1/64: layer2.0.conv1 maps 1 channel to 2; output channel 0 copies the centre tap.
    const centreTap = tf.buffer([3, 3, 1, 2]);
    centreTap.set(1, 1, 1, 0, 0);
    conv.setWeights([centreTap.toTensor()]);
    const input = tf.tensor4d(
      Array.from({ length: 36 }, (_, index) => index),
      [1, 6, 6, 1],
    );
    const padded = model.getLayer('layer2.0.conv1_pad').apply(input) as tf.Tensor;
    const output = tf.slice(conv.apply(padded) as tf.Tensor, [0, 0, 0, 0], [1, 3, 3, 1]);
    expect(Array.from(output.dataSync())).toEqual([0, 2, 4, 12, 14, 16, 24, 26, 28]);
    tf.dispose([input, padded, output]);
  });

  it('is reproducible with a seed and gives each layer its own initial weights', () => {
    const weightsOf = (model: tf.LayersModel, layer: string) =>
      Array.from(model.getLayer(layer).getWeights()[0]!.dataSync());
    const first = build({ arch: 'resnet18', width: 0.125 }, 7);
    const again = build({ arch: 'resnet18', width: 0.125 }, 7);
    const other = build({ arch: 'resnet18', width: 0.125 }, 8);
    expect(weightsOf(again, 'layer1.0.conv1')).toEqual(weightsOf(first, 'layer1.0.conv1'));
    expect(weightsOf(other, 'layer1.0.conv1')).not.toEqual(weightsOf(first, 'layer1.0.conv1'));
    // Same shape, different layer: a shared seed must not make them equal.
    expect(weightsOf(first, 'layer1.0.conv2')).not.toEqual(weightsOf(first, 'layer1.0.conv1'));
  });

  it('names its layers after the PyTorch modules', () => {
    const names = build({ arch: 'resnet50', stem: 'imagenet', inputSize: 32, width: 1 / 64 }).layers.map(
      (layer) => layer.name,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'conv1',
        'bn1',
        'maxpool',
        'layer1.0.conv3',
        'layer1.0.bn3',
        'layer4.2.bn3',
        'avgpool',
        'linear',
      ]),
    );
  });
});
