// Batch normalization with PyTorch's semantics and a hand-written gradient that keeps one tensor per layer.
//
// tfjs-layers' BatchNormalization trains through tf.moments and tf.batchNorm, whose gradient tape keeps the
// centred input, its square and more for every layer: about half of what a ResNet18 training step holds after the
// forward pass. This layer computes the same function (normalize by the batch's mean and biased variance, scale,
// shift; running statistics updated as Keras does with momentum 0.9 = PyTorch's 0.1) inside tf.customGrad and
// saves only its input and per-channel values for the backward pass. Like PyTorch, it normalizes by the biased batch
// variance but updates the running variance with the unbiased one (times n / (n - 1)). It serializes as 'BatchNormalization' with the same
// weights (gamma, beta, moving_mean, moving_variance), so saved models load anywhere as the stock layer. Where the
// backend has batch-norm training kernels (batch-norm-training-kernels.ts), each direction is one kernel instead, and
// the running statistics' update one more.
import * as tf from '@tensorflow/tfjs';
import {
  BATCH_NORM_KERNEL_MIN_ELEMENTS,
  BATCH_NORM_RUNNING_STATISTICS,
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  hasBatchNormRunningStatisticsKernel,
  hasBatchNormTrainingKernels,
  type BatchNormRunningStatisticsAttrs,
  type BatchNormTrainingAttrs,
} from './batch-norm-training-kernels.js';

type LayerVariable = tf.LayerVariable;
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface BatchNormalizationArgs extends LayerArgs {
  /** Keras convention: running = momentum * running + (1 - momentum) * batch. */
  readonly momentum: number;
  readonly epsilon: number;
}

/** Normalizes over every axis but the last (channels) one. */
export class ResNetBatchNormalization extends tf.layers.Layer {
  /** The stock layer's class name: a saved model describes a standard batch norm. */
  static readonly className = 'BatchNormalization';
  readonly momentum: number;
  readonly epsilon: number;
  private gamma!: LayerVariable;
  private beta!: LayerVariable;
  private movingMean!: LayerVariable;
  private movingVariance!: LayerVariable;
  /**
   * Whether the layer's output goes to a ReLU layer and nowhere else (markReluAfterBatchNorm sets it; it is not
   * saved). Where the backend's kernels normalize in training, the layer then ReLUs its output in the same pass
   * (BatchNormTrainingAttrs.relu), and that ReLU has nothing left to do. The ReLU layer still runs, so the model's
   * function and gradients are unchanged.
   */
  reluFollows = false;

  constructor(args: BatchNormalizationArgs) {
    super(args);
    this.supportsMasking = true;
    this.momentum = args.momentum;
    this.epsilon = args.epsilon;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape.at(-1);
    if (typeof channels !== 'number') {
      throw new Error(
        `Expected a known channel count (last axis) for ${this.name}, got input shape ${JSON.stringify(shape)}.`,
      );
    }
    this.inputSpec = [{ ndim: shape.length, axes: { [shape.length - 1]: channels } }];
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight(
      'moving_variance',
      [channels],
      'float32',
      tf.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const gamma = this.gamma.read();
      const beta = this.beta.read();
      if (kwargs['training'] !== true) {
        return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), beta, gamma, this.epsilon);
      }
      const statistics: tf.Tensor[] = [];
      const output = normalizeInTraining(x, gamma, beta, { epsilon: this.epsilon, relu: this.reluFollows }, statistics);
      const [mean, variance] = statistics as [tf.Tensor, tf.Tensor];
      this.updateRunningStatistics(mean, variance, besselCorrection(x));
      tf.dispose([mean, variance]);
      return output;
    });
  }

  /**
   * running = running - (running - batch) * (1 - momentum) for the mean and for the unbiased variance: one
   * BATCH_NORM_RUNNING_STATISTICS op where the backend computes it, else seven tfjs ops with the same roundings.
   */
  private updateRunningStatistics(mean: tf.Tensor, variance: tf.Tensor, correction: number): void {
    if (hasBatchNormRunningStatisticsKernel(tf.getBackend())) {
      const attrs: BatchNormRunningStatisticsAttrs = { momentum: this.momentum, besselCorrection: correction };
      // [movingMean, movingVariance], updated.
      const [movingMean, movingVariance] = tf
        .engine()
        .runKernel<tf.Tensor[]>(
          BATCH_NORM_RUNNING_STATISTICS,
          { movingMean: this.movingMean.read(), movingVariance: this.movingVariance.read(), mean, variance },
          { ...attrs },
        );
      this.movingMean.write(movingMean!);
      this.movingVariance.write(movingVariance!);
      return;
    }
    const unbiased = tf.mul(variance, correction);
    updateRunningAverage(this.movingMean, mean, this.momentum);
    updateRunningAverage(this.movingVariance, unbiased, this.momentum);
    unbiased.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    // The stock layer's keys with its defaults, so that tfjs-layers' own BatchNormalization can load the model.
    return {
      ...super.getConfig(),
      axis: -1,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: true,
      scale: true,
      betaInitializer: { className: 'Zeros', config: {} },
      gammaInitializer: { className: 'Ones', config: {} },
      movingMeanInitializer: { className: 'Zeros', config: {} },
      movingVarianceInitializer: { className: 'Ones', config: {} },
      betaRegularizer: null,
      gammaRegularizer: null,
      betaConstraint: null,
      gammaConstraint: null,
    };
  }

  /** Builds from a saved stock BatchNormalization config (the keys this layer does not use are ignored). */
  static override fromConfig<T extends tf.serialization.Serializable>(
    constructor: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const axis = config['axis'] ?? -1;
    if (axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) {
      throw new Error(`ResNetBatchNormalization normalizes the last axis only, got axis ${JSON.stringify(axis)}.`);
    }
    return new constructor(config);
  }
}

/**
 * y = gamma * (x - mean) / sqrt(variance + epsilon) + beta over the batch's statistics, computed as y = a * x + b with
 * per-channel a = gamma / sqrt(variance + epsilon) and b = beta - mean * a: two passes over the activation instead of
 * four. The gradient, with xHat = (x - mean) / sqrt(variance + epsilon),
 *   dx = a * (dy - mean(dy) - xHat * mean(dy * xHat))
 * is also affine in dy and x per channel, dx = a * dy + c * x + d, since mean(dy * xHat) = (mean(dy * x) - mean *
 * mean(dy)) / sqrt(variance + epsilon). So the forward pass saves only x (which nothing else keeps) and per-channel
 * values. Pushes the batch mean and biased variance onto `statistics` (kept; the caller disposes them).
 */
function normalizeInTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  attrs: BatchNormTrainingAttrs,
  statistics: tf.Tensor[],
): tf.Tensor {
  if (
    x.rank === 4 &&
    x.dtype === 'float32' &&
    x.size >= BATCH_NORM_KERNEL_MIN_ELEMENTS &&
    hasBatchNormTrainingKernels(tf.getBackend())
  ) {
    return normalizeByKernels(x, gamma, beta, attrs, statistics);
  }
  // Composed, the output is not ReLU'd: the ReLU layer after it computes that.
  const { epsilon } = attrs;
  const count = x.size / x.shape.at(-1)!;
  const normalize = tf.customGrad((input, scale, offset, save) => {
    const mean = meanPerChannel(input as tf.Tensor);
    const variance = meanPerChannel(tf.squaredDifference(input as tf.Tensor, mean));
    statistics.push(tf.keep(mean), tf.keep(variance));
    const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
    const inputScale = tf.mul(scale as tf.Tensor, inverseStd);
    (save as tf.GradSaveFunc)([input as tf.Tensor, mean, inverseStd, inputScale]);
    return {
      value: tf.add(tf.mul(input as tf.Tensor, inputScale), tf.sub(offset as tf.Tensor, tf.mul(mean, inputScale))),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedMean, savedInverseStd, a] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const meanDy = meanPerChannel(dy);
        const meanDyXHat = tf.mul(
          tf.sub(meanPerChannel(tf.mul(dy, savedInput)), tf.mul(savedMean, meanDy)),
          savedInverseStd,
        );
        // dx = a * dy + c * x + d with c = -a * inverseStd * mean(dy * xHat), d = -a * mean(dy) - c * mean.
        const c = tf.neg(tf.mul(tf.mul(a, savedInverseStd), meanDyXHat));
        const d = tf.neg(tf.add(tf.mul(a, meanDy), tf.mul(c, savedMean)));
        const dInput = tf.add(tf.add(tf.mul(dy, a), tf.mul(savedInput, c)), d);
        return [dInput, tf.mul(meanDyXHat, count), tf.mul(meanDy, count)];
      },
    };
  });
  return normalize(x, gamma, beta);
}

/**
 * normalizeInTraining by the backend's BATCH_NORM_TRAINING kernel (with attrs.relu, ReLU'd), its gradient by
 * BATCH_NORM_TRAINING_GRAD.
 */
function normalizeByKernels(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  attrs: BatchNormTrainingAttrs,
  statistics: tf.Tensor[],
): tf.Tensor {
  const { epsilon } = attrs;
  const normalize = tf.customGrad((input, scale, offset, save) => {
    // [y, mean, variance]: x's shape, then [channels] twice.
    const [y, mean, variance] = tf
      .engine()
      .runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING, { x: input, gamma: scale, beta: offset } as tf.NamedTensorMap, {
        ...attrs,
      });
    statistics.push(tf.keep(mean!), tf.keep(variance!));
    (save as tf.GradSaveFunc)([input as tf.Tensor, scale as tf.Tensor, mean!, variance!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedScale, savedMean, savedVariance] = saved;
        // [dx, dGamma, dBeta]
        return tf.engine().runKernel<tf.Tensor[]>(
          BATCH_NORM_TRAINING_GRAD,
          {
            dy,
            x: savedInput!,
            gamma: savedScale!,
            mean: savedMean!,
            variance: savedVariance!,
          },
          { epsilon },
        );
      },
    };
  });
  return normalize(x, gamma, beta);
}

/**
 * The mean over every axis but the last. For an NHWC activation: each image's mean by a global average pooling, then
 * the mean over the batch. tf.mean over the leading axes makes tfjs-backend-wasm transpose the whole tensor first and
 * then sum in a plain loop: 15 ms for a [32, 32, 32, 64] activation, against 3 ms pooled (62 against 3.5 ms at batch
 * 128). The pooled mean differs from the direct one by float rounding only.
 */
function meanPerChannel(x: tf.Tensor): tf.Tensor1D {
  if (x.rank !== 4)
    return tf.mean(
      x,
      Array.from({ length: x.rank - 1 }, (_, axis) => axis),
    );
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const perImage = tf.avgPool(x as tf.Tensor4D, [height, width], [height, width], 'valid');
  return tf.mean(tf.reshape(perImage, [batch, channels]), 0);
}

/**
 * n / (n - 1) for the n values each channel's statistics are taken over: PyTorch's running variance is the unbiased
 * estimate. With one value per channel PyTorch refuses to train; the biased variance (0) is kept here instead.
 */
export function besselCorrection(x: tf.Tensor): number {
  const count = x.size / x.shape.at(-1)!;
  return count > 1 ? count / (count - 1) : 1;
}

function updateRunningAverage(variable: LayerVariable, batchValue: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const running = variable.read();
    variable.write(tf.sub(running, tf.mul(tf.sub(running, batchValue), 1 - momentum)));
  });
}

tf.serialization.registerClass(ResNetBatchNormalization);
