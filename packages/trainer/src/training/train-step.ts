// One SGD step: forward in training mode, softmax cross-entropy, gradients, PyTorch-style SGD update.
import * as tf from '@tensorflow/tfjs';
import type { NamedParameter, SgdOptimizer } from './sgd.js';
import { variableGradsReleasingEarly } from './variable-grads-releasing-early.js';

export interface StepBatch {
  /** [batch, size, size, 3] normalized pixels. */
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
  readonly size: number;
  readonly classes: number;
  readonly learningRate: number;
}

/** Returns the batch's mean loss and its number of correct predictions (read after the update). */
export async function trainStep(
  model: tf.LayersModel,
  parameters: readonly NamedParameter[],
  optimizer: SgdOptimizer,
  batch: StepBatch,
): Promise<{ loss: number; correct: number }> {
  const { pixels, labels, size, classes, learningRate } = batch;
  const images = tf.tensor4d(pixels, [labels.length, size, size, 3]);
  const labelTensor = tf.tensor1d(labels, 'int32');
  const onehot = tf.oneHot(labelTensor, classes);
  let logits: tf.Tensor | undefined;
  const { value: loss, grads } = variableGradsReleasingEarly(
    () => {
      // [batch, classes]; kept past the gradient's tidy scope to count correct predictions.
      logits = tf.keep(model.apply(images, { training: true }) as tf.Tensor);
      return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(onehot, logits);
    },
    parameters.map((parameter) => parameter.variable),
  );
  optimizer.step(parameters, grads, learningRate);
  const correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits!, 1), labelTensor), 'int32')));
  const [lossValue, correctValue] = await Promise.all([loss.data(), correct.data()]);
  tf.dispose([images, labelTensor, onehot, logits!, loss, correct, ...Object.values(grads)]);
  return { loss: lossValue[0]!, correct: correctValue[0]! };
}

/** The model's trainable variables under their stable layer-weight names. */
export function namedParameters(model: tf.LayersModel): NamedParameter[] {
  return model.trainableWeights.map((weight) => ({
    name: weight.originalName,
    variable: weight.read() as tf.Variable,
  }));
}
