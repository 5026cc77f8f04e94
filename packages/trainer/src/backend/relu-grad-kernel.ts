// The kernel by which a backend can compute ReLU's gradient in one pass (PyTorch's threshold_backward), and the
// gradient of TensorFlow.js's 'Relu' kernel (tf.relu, tf.layers.reLU) that uses it where the backend has it. The
// trainer registers it for wasm where its oneDNN addon is built; elsewhere the gradient is tfjs's own composition,
// dy * cast(step(x), 'float32'): three kernels and three passes over the activation.
import * as tf from '@tensorflow/tfjs';

/**
 * Inputs dy and x, float32 of one shape; output dx = dy * step(x), as tfjs's gradient of relu composes it: dy where
 * x > 0, NaN where x is NaN, else dy * 0 (0, or -0 where dy is negative, NaN where dy is infinite or NaN).
 */
export const RELU_GRAD = 'ResNetLabReluGrad';

/** Whether `backendName` computes RELU_GRAD. */
export function hasReluGradKernel(backendName: string): boolean {
  // getKernel is typed as always finding one, but returns undefined for a kernel nobody registered.
  return (tf.getKernel(RELU_GRAD, backendName) as tf.KernelConfig | undefined) !== undefined;
}

/** tfjs's gradient of 'Relu', which registerReluGradient replaced; undefined until it has. */
let tfjsGradient: tf.GradConfig | undefined;

const reluGradient: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    // One dy and the one saved input, x.
    const [x, dyTensor] = [saved[0]!, dy as tf.Tensor];
    if (x.dtype === 'float32' && dyTensor.dtype === 'float32' && hasReluGradKernel(tf.getBackend())) {
      return { x: () => tf.engine().runKernel<tf.Tensor>(RELU_GRAD, { dy: dyTensor, x }) };
    }
    return tfjsGradient!.gradFunc(dy, saved, attrs);
  },
};

/**
 * Makes 'Relu''s gradient RELU_GRAD where the backend computing it has that kernel, keeping tfjs's gradient
 * elsewhere. The gradient registry is global (every backend's), hence the check at each call. Registering again
 * changes nothing.
 */
export function registerReluGradient(): void {
  const current = tf.getGradient('Relu') as tf.GradConfig | undefined;
  if (current === reluGradient) return;
  if (current === undefined) throw new Error(`Expected tfjs's gradient of 'Relu' to be registered, found none.`);
  tfjsGradient = current;
  tf.registerGradient(reluGradient);
}

/** Puts back tfjs's gradient of 'Relu' where registerReluGradient replaced it. */
export function unregisterReluGradient(): void {
  if (tfjsGradient === undefined || (tf.getGradient('Relu') as tf.GradConfig | undefined) !== reluGradient) return;
  tf.unregisterGradient('Relu');
  tf.registerGradient(tfjsGradient);
}
