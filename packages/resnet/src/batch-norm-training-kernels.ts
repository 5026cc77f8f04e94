// The two kernels by which a backend can compute batch normalization in training as one op each way: the forward pass
// with the batch's statistics, and its gradient. The trainer registers them for wasm where its oneDNN addon is built
// (native loops with double-precision sums); where a backend has not registered them, ResNetBatchNormalization
// composes TensorFlow.js ops instead.
import * as tf from '@tensorflow/tfjs';

/**
 * Inputs x [batch, height, width, channels], gamma [channels], beta [channels]; attrs { epsilon }. Outputs
 * y = gamma * (x - mean) / sqrt(variance + epsilon) + beta (x's shape), the batch mean [channels] and the biased
 * batch variance [channels].
 */
export const BATCH_NORM_TRAINING = 'ResNetLabBatchNormTraining';

/**
 * Inputs dy, x, gamma, and the mean and variance that BATCH_NORM_TRAINING returned; attrs { epsilon }. Outputs the
 * gradients dx (x's shape), dGamma and dBeta ([channels]).
 */
export const BATCH_NORM_TRAINING_GRAD = 'ResNetLabBatchNormTrainingGrad';

/**
 * Below this many elements ResNetBatchNormalization composes tfjs ops even where the kernels are registered. Such
 * activations cost little either way, and the smallest are the worst conditioned: ResNet50 at 32x32 with batches of 2
 * has 2 values a channel in layer4, where float rounding decides the gradient (the kernels' double sums are closer to
 * float64 there, yet five SGD steps at learning rate 0.1 then diverge where the composition's happen not to).
 */
export const BATCH_NORM_KERNEL_MIN_ELEMENTS = 1 << 14;

/**
 * Inputs movingMean, movingVariance (the layer's running statistics) and the batch's mean and biased variance, all
 * [channels]; attrs { momentum, besselCorrection }. Outputs the updated running mean and variance, as the layer's
 * composition computes them, each operation rounded to float32:
 *   movingMean - (movingMean - mean) * (1 - momentum)
 *   movingVariance - (movingVariance - variance * besselCorrection) * (1 - momentum)
 * One op for what the composition makes seven of, per layer and step.
 */
export const BATCH_NORM_RUNNING_STATISTICS = 'ResNetLabBatchNormRunningStatistics';

export interface BatchNormRunningStatisticsAttrs {
  /** Keras convention: running = momentum * running + (1 - momentum) * batch. */
  readonly momentum: number;
  /** n / (n - 1): the batch variance times this is the unbiased estimate PyTorch keeps (see besselCorrection). */
  readonly besselCorrection: number;
}

export interface BatchNormTrainingAttrs {
  readonly epsilon: number;
  /**
   * BATCH_NORM_TRAINING only, default false: the output is ReLU'd too, as tfjs's Relu computes it (0 where y <= 0), in
   * the same pass. For a layer whose output goes to a ReLU layer and nowhere else (ResNetBatchNormalization's
   * reluFollows): that ReLU of the output is then the output itself, which a backend may hand back without computing
   * it, and the ReLU's gradient has masked dy before BATCH_NORM_TRAINING_GRAD, which stays y's gradient.
   */
  readonly relu?: boolean;
}

/** Whether `backendName` computes both kernels. */
export function hasBatchNormTrainingKernels(backendName: string): boolean {
  // getKernel is typed as always finding one, but returns undefined for a kernel nobody registered.
  return [BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD].every(
    (kernelName) => (tf.getKernel(kernelName, backendName) as tf.KernelConfig | undefined) !== undefined,
  );
}

/** Whether `backendName` computes BATCH_NORM_RUNNING_STATISTICS. */
export function hasBatchNormRunningStatisticsKernel(backendName: string): boolean {
  return (tf.getKernel(BATCH_NORM_RUNNING_STATISTICS, backendName) as tf.KernelConfig | undefined) !== undefined;
}
