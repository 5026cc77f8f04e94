// Stochastic gradient descent with momentum and weight decay exactly as torch.optim.SGD applies them.
import * as tf from '@tensorflow/tfjs';
import { SGD_STEP, hasSgdStepKernel, type SgdStepAttrs } from '../backend/sgd-step-kernel.js';

export interface SgdOptions {
  readonly momentum: number;
  /** Added to the gradient as `weightDecay * parameter` before momentum (PyTorch's coupled L2). */
  readonly weightDecay: number;
  readonly nesterov: boolean;
}

/** A trainable parameter and its stable name (the layer weight's original name, e.g. `layer1.0.conv1/kernel`). */
export interface NamedParameter {
  readonly name: string;
  readonly variable: tf.Variable;
}

/**
 * PyTorch's update, dampening 0:
 *   g = grad + weightDecay * p
 *   buf = g on the first step, else momentum * buf + g
 *   p -= lr * (nesterov ? g + momentum * buf : buf)
 * tf.train.momentum differs (no decoupled decay, buffer starts at 0 and scales lr into the buffer), so the seed's
 * recipe needs its own optimizer. Where the backend has the SGD_STEP kernel (wasm with the oneDNN addon), one call of
 * it updates every parameter and buffer, each value read and written once; elsewhere about seven tfjs ops a
 * parameter compute the same values.
 */
export class SgdOptimizer {
  /** Momentum buffers by parameter name; absent until a parameter's first step. Unnamed variables, since
   * tfjs variable names are process-wide and several optimizers may live in one process. */
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(private readonly options: SgdOptions) {}

  step(parameters: readonly NamedParameter[], gradients: tf.NamedTensorMap, learningRate: number): void {
    tf.tidy(() => {
      if (hasSgdStepKernel(tf.getBackend())) {
        this.stepByKernel(parameters, gradients, learningRate);
      } else {
        this.stepByOps(parameters, gradients, learningRate);
      }
    });
  }

  /** All parameters by one SGD_STEP call; its outputs become the variables' and buffers' values without a copy. */
  private stepByKernel(parameters: readonly NamedParameter[], gradients: tf.NamedTensorMap, learningRate: number) {
    const { momentum, weightDecay, nesterov } = this.options;
    const inputs: tf.NamedTensorMap = {};
    parameters.forEach(({ name, variable }, i) => {
      inputs[`parameter${i}`] = variable;
      inputs[`gradient${i}`] = gradientOf(name, variable, gradients);
      const buffer = momentum > 0 ? this.buffers.get(name) : undefined;
      if (buffer) inputs[`buffer${i}`] = buffer;
    });
    const attrs: SgdStepAttrs = { parameters: parameters.length, learningRate, momentum, weightDecay, nesterov };
    const outputs = tf.engine().runKernel<tf.Tensor[]>(SGD_STEP, inputs, attrs as unknown as tf.NamedAttrMap);
    let next = 0;
    for (const { name, variable } of parameters) {
      variable.assign(outputs[next++]!);
      if (momentum > 0) {
        const updated = outputs[next++]!;
        const buffer = this.buffers.get(name);
        if (buffer) buffer.assign(updated);
        else this.buffers.set(name, tf.variable(updated, false));
      }
    }
  }

  private stepByOps(parameters: readonly NamedParameter[], gradients: tf.NamedTensorMap, learningRate: number) {
    const { momentum, weightDecay, nesterov } = this.options;
    for (const { name, variable } of parameters) {
      const gradient = gradientOf(name, variable, gradients);
      let direction = weightDecay > 0 ? tf.add(gradient, tf.mul(variable, weightDecay)) : gradient;
      if (momentum > 0) {
        const buffer = this.buffers.get(name);
        let updated: tf.Tensor;
        if (buffer) {
          updated = tf.add(tf.mul(buffer, momentum), direction);
          buffer.assign(updated);
        } else {
          updated = direction;
          this.buffers.set(name, tf.variable(direction, false));
        }
        direction = nesterov ? tf.add(direction, tf.mul(updated, momentum)) : updated;
      }
      variable.assign(tf.sub(variable, tf.mul(direction, learningRate)));
    }
  }

  /** Momentum buffers by parameter name, for checkpoints. The tensors stay owned by the optimizer. */
  state(): ReadonlyMap<string, tf.Tensor> {
    return this.buffers;
  }

  /** Restores buffers saved by `state()`; takes ownership of nothing (the values are copied). */
  restore(buffers: ReadonlyMap<string, tf.Tensor>): void {
    this.dispose();
    for (const [name, value] of buffers) this.buffers.set(name, tf.variable(value, false));
  }

  dispose(): void {
    for (const buffer of this.buffers.values()) buffer.dispose();
    this.buffers.clear();
  }
}

function gradientOf(name: string, variable: tf.Variable, gradients: tf.NamedTensorMap): tf.Tensor {
  const gradient = gradients[variable.name];
  if (!gradient) throw new Error(`No gradient for parameter '${name}' (variable ${variable.name}).`);
  return gradient;
}
