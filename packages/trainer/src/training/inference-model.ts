// The fast inference path of a trained ResNet, for evaluation and prediction: each batch norm folded into the
// convolution before it (foldBatchNorm), then one op per convolution: convolution + bias + ReLU (tf.fused.conv2d), and
// for a block's last one convolution + bias + shortcut + ReLU (residualConv2d). Where oneDNN computes the wasm
// backend's kernels, the whole network is one native call (OneDnnInferenceNetwork), each convolution one primitive
// with the rest of it as post-ops; elsewhere tfjs's fused kernels run (XNNPACK's on wasm). The layers model runs
// convolution, batch norm, ReLU and the residual sum as separate passes over every activation.
import * as tf from '@tensorflow/tfjs';
import { residualConv2d } from '../backend/residual-conv2d.js';
import { OneDnnInferenceNetwork, type LinearWeights } from './onednn-inference-network.js';
import { layersModelWeights, type ResNetWeights } from './resnet-weights.js';
import {
  INPUT_CHANNELS,
  allConvs,
  foldBatchNorm,
  planResNet,
  type ConvPlan,
  type FoldedConvolution,
  type ResNetConfig,
  type ResNetPlan,
} from '@resnet-lab/resnet';

/** A convolution with its batch norm folded in, as tensors of its own (the weights' source may be disposed after). */
interface FoldedLayer {
  /** [kh, kw, in, out] */
  readonly kernel: tf.Tensor4D;
  /** [out] */
  readonly bias: tf.Tensor1D;
  readonly stride: number;
  readonly pad: 'valid' | tf.backend_util.ExplicitPadding;
}

/** What evaluation and prediction run: a layers model (in inference mode), or its folded InferenceModel. */
export type InferenceRunner = tf.LayersModel | InferenceModel;

/** The two ways to run inference, by name: the folded InferenceModel, or the layers model in inference mode. */
export const INFERENCE_PATHS = ['folded', 'layers'] as const;
export type InferencePath = (typeof INFERENCE_PATHS)[number];

/** The folded weights as tfjs runs them: a tensor pair per convolution, and the linear layer's. */
interface FoldedTensors {
  readonly layers: ReadonlyMap<string, FoldedLayer>;
  /** [inFeatures, classes] and [classes] */
  readonly linear: { readonly kernel: tf.Tensor2D; readonly bias: tf.Tensor1D };
}

export class InferenceModel {
  /** Height and width of the images it takes (and of the model it was folded from). */
  readonly inputSize: number;
  private disposed = false;

  /** Exactly one of `network` (oneDNN's) and `tensors` (tfjs's). */
  private constructor(
    private readonly plan: ResNetPlan,
    private readonly network: OneDnnInferenceNetwork | undefined,
    private readonly tensors: FoldedTensors | undefined,
  ) {
    this.inputSize = plan.config.inputSize;
  }

  /**
   * Folds `model`, a ResNet built (or loaded) for `config`, reading its weights once: later changes to them are not
   * seen. Throws when a layer of the config's plan is missing from the model or has other shapes.
   */
  static fromResNet(model: tf.LayersModel, config: ResNetConfig): InferenceModel {
    return InferenceModel.fromWeights(layersModelWeights(model), config);
  }

  /**
   * Folds the weights of a ResNet for `config` from `weights` (a layers model's, or a checkpoint's as stored), into
   * tensors of its own. Throws when a weight of the config's plan is missing or has another shape.
   */
  static fromWeights(weights: ResNetWeights, config: ResNetConfig): InferenceModel {
    const plan = planResNet(config);
    const folded = new Map<string, FoldedConvolution>();
    for (const conv of allConvs(plan)) folded.set(conv.name, foldLayer(weights, conv));
    const { name, inFeatures, outFeatures } = plan.linear;
    const [kernel, bias] = weights.read(name, ['kernel', 'bias']) as [tf.Tensor2D, tf.Tensor1D];
    expectShape(`${name}'s kernel`, kernel, [inFeatures, outFeatures]);
    expectShape(`${name}'s bias`, bias, [outFeatures]);
    // Copies: dataSync may return the backend's own storage, which goes with the weights' source.
    const linear: LinearWeights = {
      kernel: Float32Array.from(kernel.dataSync()),
      bias: Float32Array.from(bias.dataSync()),
    };
    const network = OneDnnInferenceNetwork.create(plan, folded, linear);
    return new InferenceModel(plan, network, network ? undefined : foldedTensors(plan, folded, linear));
  }

  /** [batch, inputSize, inputSize, 3] images -> [batch, classes] logits. The caller disposes the result. */
  predict(images: tf.Tensor4D): tf.Tensor2D {
    if (this.disposed) throw new Error('This InferenceModel has been disposed.');
    if (this.network) return this.predictNatively(this.network, images);
    const { stem, stages } = this.plan;
    let x = this.convolve(images, stem.conv, 'relu');
    if (stem.maxPool) {
      // Zero padding, as the layers model pads (tfjs-node's max-pool takes no explicit padding): the same maxima as
      // PyTorch's -inf padding of a ReLU output.
      const { kernelSize, stride, padding } = stem.maxPool;
      x = replace(x, (input) => tf.maxPool(tf.pad(input, symmetric(padding)), kernelSize, stride, 'valid'), images);
    }
    for (const stage of stages) {
      for (const block of stage.blocks) {
        const input = x;
        let y = input;
        const shortcut = block.shortcut ? this.convolve(input, block.shortcut, 'linear') : input;
        for (const conv of block.convs.slice(0, -1)) {
          y = replace(y, (previous) => this.convolve(previous, conv, 'relu'), input);
        }
        // The last convolution's ReLU comes after the residual sum.
        const last = this.tensors!.layers.get(block.convs.at(-1)!.name)!;
        x = residualConv2d(
          { x: y, filter: last.kernel, bias: last.bias, residual: shortcut },
          { strides: last.stride, pad: last.pad },
        );
        tf.dispose([
          ...(y === input ? [] : [y]),
          ...(shortcut === input ? [] : [shortcut]),
          ...(input === images ? [] : [input]),
        ]);
      }
    }
    return tf.tidy(() => {
      // [batch, size, size, channels] -> [batch, channels]
      const pooled = tf.mean<tf.Tensor2D>(x, [1, 2]);
      x.dispose();
      const { linear } = this.tensors!;
      return tf.fused.matMul({ a: pooled, b: linear.kernel, bias: linear.bias }) as tf.Tensor2D;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.network?.free();
    if (this.tensors) {
      for (const layer of this.tensors.layers.values()) tf.dispose([layer.kernel, layer.bias]);
      tf.dispose([this.tensors.linear.kernel, this.tensors.linear.bias]);
    }
  }

  /** Whether the whole network runs as one oneDNN call (where oneDNN computes the wasm backend's kernels). */
  get native(): boolean {
    return this.network !== undefined;
  }

  private predictNatively(network: OneDnnInferenceNetwork, images: tf.Tensor4D): tf.Tensor2D {
    const [batch, height, width, channels] = images.shape;
    if (height !== this.inputSize || width !== this.inputSize || channels !== INPUT_CHANNELS) {
      throw new Error(
        `Expected images of shape [batch, ${this.inputSize}, ${this.inputSize}, ${INPUT_CHANNELS}], got ` +
          `[${images.shape.join(', ')}].`,
      );
    }
    const pixels = images.dataSync();
    const logits = network.logits(pixels instanceof Float32Array ? pixels : Float32Array.from(pixels), batch);
    return tf.tensor2d(logits, [batch, network.classes]);
  }

  private convolve(x: tf.Tensor4D, conv: ConvPlan, activation: 'relu' | 'linear'): tf.Tensor4D {
    const layer = this.tensors!.layers.get(conv.name)!;
    return tf.fused.conv2d({
      x,
      filter: layer.kernel,
      strides: layer.stride,
      pad: layer.pad,
      bias: layer.bias,
      activation,
    });
  }
}

/** [batch, classes] logits of `images` by either runner, in inference mode. The caller disposes the result. */
export function inferLogits(runner: InferenceRunner, images: tf.Tensor4D): tf.Tensor2D {
  return runner instanceof InferenceModel
    ? runner.predict(images)
    : (runner.apply(images, { training: false }) as tf.Tensor2D);
}

const BATCH_NORM_SUFFIXES = ['gamma', 'beta', 'moving_mean', 'moving_variance'] as const;

/** The folded weights as tensors of their own, for tfjs's kernels. */
function foldedTensors(
  plan: ResNetPlan,
  folded: ReadonlyMap<string, FoldedConvolution>,
  linear: LinearWeights,
): FoldedTensors {
  const layers = new Map<string, FoldedLayer>();
  for (const conv of allConvs(plan)) {
    const { kernel, bias } = folded.get(conv.name)!;
    layers.set(conv.name, {
      kernel: tf.tensor4d(kernel, [conv.kernelSize, conv.kernelSize, conv.inChannels, conv.outChannels]),
      bias: tf.tensor1d(bias),
      stride: conv.stride,
      pad: conv.padding === 0 ? 'valid' : symmetric(conv.padding),
    });
  }
  const { inFeatures, outFeatures } = plan.linear;
  return {
    layers,
    linear: { kernel: tf.tensor2d(linear.kernel, [inFeatures, outFeatures]), bias: tf.tensor1d(linear.bias) },
  };
}

function foldLayer(weights: ResNetWeights, conv: ConvPlan): FoldedConvolution {
  const [kernel] = weights.read(conv.name, ['kernel']) as [tf.Tensor4D];
  expectShape(`${conv.name}'s kernel`, kernel, [conv.kernelSize, conv.kernelSize, conv.inChannels, conv.outChannels]);
  const batchNorm = weights.read(conv.batchNormName, BATCH_NORM_SUFFIXES);
  // [outChannels] each
  batchNorm.forEach((weight, index) =>
    expectShape(`${conv.batchNormName}'s ${BATCH_NORM_SUFFIXES[index]}`, weight, [conv.outChannels]),
  );
  const [gamma, beta, movingMean, movingVariance] = batchNorm;
  const epsilon = weights.batchNormEpsilon(conv.batchNormName);
  return foldBatchNorm(
    kernel.dataSync(),
    {
      gamma: gamma!.dataSync(),
      beta: beta!.dataSync(),
      movingMean: movingMean!.dataSync(),
      movingVariance: movingVariance!.dataSync(),
    },
    epsilon,
  );
}

/** `weight`, e.g. "conv1's kernel", has the shape that the ResNet config plans; else throws naming both. */
function expectShape(weight: string, tensor: tf.Tensor, expected: readonly number[]): void {
  if (!tf.util.arraysEqual(tensor.shape, [...expected])) {
    throw new Error(
      `Expected ${weight} to have shape [${expected.join(', ')}] for the ResNet config, got ` +
        `[${tensor.shape.join(', ')}].`,
    );
  }
}

/** PyTorch's `padding`: the same number of zeros on every side of the height and width. */
function symmetric(padding: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [padding, padding],
    [padding, padding],
    [0, 0],
  ];
}

/** `step(x)`, disposing `x` unless it is `keep` (the caller's tensor). */
function replace(x: tf.Tensor4D, step: (input: tf.Tensor4D) => tf.Tensor4D, keep: tf.Tensor): tf.Tensor4D {
  const next = tf.tidy(() => step(x));
  if (x !== keep) x.dispose();
  return next;
}
