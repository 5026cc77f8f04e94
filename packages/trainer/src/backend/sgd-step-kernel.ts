// The kernel by which a backend can apply SgdOptimizer's update to many parameters in one pass (the update of
// torch.optim.SGD, dampening 0). The trainer registers it for wasm where its oneDNN addon is built; where a backend has
// not registered it, SgdOptimizer composes TensorFlow.js ops instead.
import * as tf from '@tensorflow/tfjs';

/**
 * Inputs, for each parameter i < attrs.parameters: `parameter{i}` p, `gradient{i}` (p's shape and dtype, float32)
 * and, where momentum > 0 and this is not p's first step, `buffer{i}` its momentum buffer. Outputs, for each
 * parameter in order, the updated parameter and then, where momentum > 0, the updated buffer:
 *   g = gradient + weightDecay * p
 *   buffer = g on p's first step (no buffer{i}), else momentum * buffer + g
 *   p - learningRate * (nesterov ? g + momentum * buffer : buffer), or p - learningRate * g without momentum
 * with each operation rounded to float32, as tfjs's element-wise ops round them.
 */
export const SGD_STEP = 'ResNetLabSgdStep';

export interface SgdStepAttrs {
  /** How many parameters the inputs hold. */
  readonly parameters: number;
  readonly learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
}

/** Whether `backendName` computes SGD_STEP. */
export function hasSgdStepKernel(backendName: string): boolean {
  // getKernel is typed as always finding one, but returns undefined for a kernel nobody registered.
  return (tf.getKernel(SGD_STEP, backendName) as tf.KernelConfig | undefined) !== undefined;
}
