// Accuracy, loss, per-class accuracy and confusion matrix of a model on a dataset split, in inference mode.
import * as tf from '@tensorflow/tfjs';
import { makeBatch, type ImageDataset, type Normalization } from '../data/index.js';
import { inferLogits, type InferenceRunner } from './inference-model.js';

export interface Evaluation {
  readonly count: number;
  readonly correct: number;
  readonly accuracy: number;
  /** Mean cross-entropy per image. */
  readonly loss: number;
  readonly classNames: readonly string[];
  /** Accuracy of each class; null for a class with no images in the split. */
  readonly perClassAccuracy: readonly (number | null)[];
  /** `confusionMatrix[trueLabel][predictedLabel]` = image count. */
  readonly confusionMatrix: readonly (readonly number[])[];
}

export interface EvaluateOptions {
  readonly batchSize?: number;
  readonly normalization: Normalization | null;
  /** Checked between batches; an aborted evaluation rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

const NO_RANDOM = () => 0;

/**
 * Evaluates `model`: an InferenceModel (batch norm folded, the fast path that eval and the API use) or a layers model
 * (run in inference mode); both give the same figures up to float rounding.
 */
export async function evaluateModel(
  model: InferenceRunner,
  dataset: ImageDataset,
  { batchSize = 256, normalization, signal }: EvaluateOptions,
): Promise<Evaluation> {
  const classes = dataset.classNames.length;
  const confusionMatrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let lossSum = 0;
  for (let start = 0; start < dataset.count; start += batchSize) {
    signal?.throwIfAborted();
    const indices = range(start, Math.min(start + batchSize, dataset.count));
    const pixels = makeBatch(dataset, indices, {
      augment: false,
      random: NO_RANDOM,
      normalization: normalization ?? undefined,
    });
    const labels = dataset.labels.subarray(start, start + indices.length);
    const [lossTensor, predictedTensor] = tf.tidy((): [tf.Tensor, tf.Tensor] => {
      const images = tf.tensor4d(pixels, [indices.length, dataset.height, dataset.width, 3]);
      const logits = inferLogits(model, images);
      const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
      return [
        tf.losses.softmaxCrossEntropy(onehot, logits, undefined, undefined, tf.Reduction.SUM),
        tf.argMax(logits, 1),
      ];
    });
    const [batchLoss, predicted] = await Promise.all([lossTensor.data(), predictedTensor.data()]);
    tf.dispose([lossTensor, predictedTensor]);
    lossSum += batchLoss[0]!;
    labels.forEach((label, index) => (confusionMatrix[label]![predicted[index]!]! += 1));
  }
  const correct = confusionMatrix.reduce((total, row, label) => total + row[label]!, 0);
  return {
    count: dataset.count,
    correct,
    accuracy: dataset.count === 0 ? 0 : correct / dataset.count,
    loss: dataset.count === 0 ? 0 : lossSum / dataset.count,
    classNames: dataset.classNames,
    perClassAccuracy: confusionMatrix.map((row, label) => {
      const total = row.reduce((sum, value) => sum + value, 0);
      return total === 0 ? null : row[label]! / total;
    }),
    confusionMatrix,
  };
}

function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, offset) => start + offset);
}
