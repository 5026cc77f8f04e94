// Stochastic gradient descent with momentum and weight decay exactly as torch.optim.SGD applies them.
import * as tf from '@tensorflow/tfjs';

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
 * recipe needs its own optimizer.
 */
export class SgdOptimizer {
  /** Momentum buffers by parameter name; absent until a parameter's first step. Unnamed variables, since
   * tfjs variable names are process-wide and several optimizers may live in one process. */
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(private readonly options: SgdOptions) {}

  step(parameters: readonly NamedParameter[], gradients: tf.NamedTensorMap, learningRate: number): void {
    const { momentum, weightDecay, nesterov } = this.options;
    tf.tidy(() => {
      for (const { name, variable } of parameters) {
        const gradient = gradients[variable.name];
        if (!gradient) throw new Error(`No gradient for parameter '${name}' (variable ${variable.name}).`);
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
    });
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
