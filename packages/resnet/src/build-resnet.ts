// Builds a ResNet as a TensorFlow.js layers model from its plan, reproducing the PyTorch reference layer by layer.
import * as tf from '@tensorflow/tfjs';
import { ResNetBatchNormalization } from './batch-normalization.js';
import { ResNetInitializers, defaultInit, type ResNetInit } from './initialization.js';
import { markReluAfterBatchNorm } from './relu-after-batch-norm.js';
import { resolveResNetConfig, type ResNetConfigInput } from './resnet-config.js';
import { INPUT_CHANNELS, planResNet, type BlockPlan, type ConvPlan, type ResNetPlan } from './resnet-plan.js';

/** PyTorch's BatchNorm2d defaults: running = 0.9 * running + 0.1 * batch (Keras momentum 0.9), epsilon 1e-5. */
export const BATCH_NORM_MOMENTUM = 0.9;
export const BATCH_NORM_EPSILON = 1e-5;

export interface BuildResNetOptions {
  /** Seed for the weight initializers; the same seed builds the same weights. Default: random. */
  readonly seed?: number | undefined;
  /** How weights are drawn. Default: `defaultInit(stem)`, PyTorch's defaults for the cifar stem. */
  readonly init?: ResNetInit | undefined;
}

type SymbolicTensor = tf.SymbolicTensor;

/**
 * Builds the network for `input`. The model takes `[batch, inputSize, inputSize, 3]` images and returns
 * `[batch, classes]` logits (no softmax, as the reference feeds its output to CrossEntropyLoss).
 * Layers carry the PyTorch module names (`conv1`, `layer1.0.bn1`, `layer2.0.shortcut.0`, `linear`).
 */
export function buildResNet(input: ResNetConfigInput, options: BuildResNetOptions = {}): tf.LayersModel {
  return buildFromPlan(planResNet(resolveResNetConfig(input)), options);
}

export function buildFromPlan(plan: ResNetPlan, options: BuildResNetOptions = {}): tf.LayersModel {
  const { config, stem } = plan;
  const initializers = new ResNetInitializers(options.init ?? defaultInit(config.stem), options.seed);
  const image = tf.input({ shape: [config.inputSize, config.inputSize, INPUT_CHANNELS], name: 'input' });

  let x = relu(convBatchNorm(image, stem.conv, initializers), 'relu');
  if (stem.maxPool) {
    // Zero padding equals PyTorch's -inf padding here: the input is a ReLU output, so never negative.
    const padded = tf.layers.zeroPadding2d({ padding: stem.maxPool.padding, name: 'maxpool_pad' }).apply(x);
    x = tf.layers
      .maxPooling2d({
        poolSize: stem.maxPool.kernelSize,
        strides: stem.maxPool.stride,
        padding: 'valid',
        name: stem.maxPool.name,
      })
      .apply(padded) as SymbolicTensor;
  }
  for (const stage of plan.stages) {
    for (const block of stage.blocks) x = residualBlock(x, block, initializers);
  }
  // [batch, size, size, channels] -> [batch, channels]; at 32x32 this is the seed's F.avg_pool2d(out, 4).
  const pooled = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x);
  const logits = tf.layers
    .dense({
      units: plan.linear.outFeatures,
      name: plan.linear.name,
      kernelInitializer: initializers.linear(plan.linear.inFeatures),
      biasInitializer: initializers.linear(plan.linear.inFeatures),
    })
    .apply(pooled) as SymbolicTensor;

  const model = tf.model({ inputs: image, outputs: logits, name: `${config.arch}_${config.stem}` });
  markReluAfterBatchNorm(model);
  return model;
}

function residualBlock(input: SymbolicTensor, block: BlockPlan, initializers: ResNetInitializers): SymbolicTensor {
  let x = input;
  block.convs.forEach((conv, index) => {
    x = convBatchNorm(x, conv, initializers);
    // The last convolution's ReLU comes after the residual sum.
    if (index < block.convs.length - 1) x = relu(x, `${block.name}.relu${index + 1}`);
  });
  const shortcut = block.shortcut ? convBatchNorm(input, block.shortcut, initializers) : input;
  const sum = tf.layers.add({ name: `${block.name}.add` }).apply([x, shortcut]) as SymbolicTensor;
  return relu(sum, `${block.name}.relu`);
}

function convBatchNorm(input: SymbolicTensor, conv: ConvPlan, initializers: ResNetInitializers): SymbolicTensor {
  // TensorFlow's 'same' padding puts the extra row at the bottom when a strided window does not fit evenly, while
  // PyTorch pads symmetrically; explicit zero padding keeps every strided output aligned with the reference.
  const symmetricSame = conv.stride === 1 && conv.padding * 2 === conv.kernelSize - 1;
  let x = input;
  if (!symmetricSame && conv.padding > 0) {
    x = tf.layers.zeroPadding2d({ padding: conv.padding, name: `${conv.name}_pad` }).apply(x) as SymbolicTensor;
  }
  x = tf.layers
    .conv2d({
      name: conv.name,
      filters: conv.outChannels,
      kernelSize: conv.kernelSize,
      strides: conv.stride,
      padding: symmetricSame ? 'same' : 'valid',
      useBias: false,
      kernelInitializer: initializers.conv(conv.kernelSize, conv.inChannels, conv.outChannels),
    })
    .apply(x) as SymbolicTensor;
  return new ResNetBatchNormalization({
    name: conv.batchNormName,
    momentum: BATCH_NORM_MOMENTUM,
    epsilon: BATCH_NORM_EPSILON,
  }).apply(x) as SymbolicTensor;
}

function relu(x: SymbolicTensor, name: string): SymbolicTensor {
  return tf.layers.reLU({ name }).apply(x) as SymbolicTensor;
}
