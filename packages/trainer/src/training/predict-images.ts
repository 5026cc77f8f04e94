// Top-k classes with softmax probabilities for PNG/JPEG images of any size, resized to the model's input.
import * as tf from '@tensorflow/tfjs';
import { prepareImage, type Normalization } from '../data/index.js';
import { InferenceModel, inferLogits, type InferenceRunner } from './inference-model.js';

export interface ImageInput {
  /** File name or other label used in errors and results. */
  readonly source: string;
  readonly bytes: Uint8Array;
}

/** An image already turned into the model's input by prepareImage: `[height, width, 3]` floats. */
export interface PreparedImage {
  readonly source: string;
  readonly pixels: Float32Array;
}

export interface ClassProbability {
  readonly label: number;
  readonly className: string;
  readonly probability: number;
}

export interface ImagePrediction {
  readonly source: string;
  /** Most probable first. */
  readonly top: readonly ClassProbability[];
}

export interface Classifier {
  /** An InferenceModel (the fast path), or a layers model run in inference mode. */
  readonly model: InferenceRunner;
  readonly classNames: readonly string[];
  readonly normalization: Normalization | null;
}

/** The size images are resized to for `model`: its input is `[batch, height, width, 3]`. */
export function modelInputSize(model: InferenceRunner): { readonly width: number; readonly height: number } {
  if (model instanceof InferenceModel) return { width: model.inputSize, height: model.inputSize };
  const [, height, width] = model.inputs[0]!.shape as [null, number, number, number];
  return { width, height };
}

/** Decodes, resizes and classifies; a corrupt or unsupported image throws a DatasetError naming its source. */
export async function predictImages(
  classifier: Classifier,
  inputs: readonly ImageInput[],
  topK = 3,
): Promise<ImagePrediction[]> {
  checkTopK(classifier, topK);
  const size = modelInputSize(classifier.model);
  const images = inputs.map((input) => ({
    source: input.source,
    pixels: prepareImage(input.bytes, input.source, { ...size, normalization: classifier.normalization }),
  }));
  return classifyImages(classifier, images, topK);
}

/**
 * Classifies images prepared for this classifier (prepareImage with its input size and normalization), so that the
 * decoding can happen elsewhere, e.g. on a worker thread.
 */
export async function classifyImages(
  classifier: Classifier,
  images: readonly PreparedImage[],
  topK = 3,
): Promise<ImagePrediction[]> {
  checkTopK(classifier, topK);
  if (images.length === 0) return [];
  const { model, classNames } = classifier;
  const { width, height } = modelInputSize(model);
  const imageValues = height * width * 3;
  // [images, height, width, 3]
  const pixels = new Float32Array(images.length * imageValues);
  images.forEach((image, index) => {
    if (image.pixels.length !== imageValues) {
      throw new RangeError(
        `Expected ${height}x${width}x3 = ${imageValues} values for ${image.source}, got ${image.pixels.length}.`,
      );
    }
    pixels.set(image.pixels, index * imageValues);
  });
  const { values, indices } = tf.tidy(() => {
    const logits = inferLogits(model, tf.tensor4d(pixels, [images.length, height, width, 3]));
    return tf.topk(tf.softmax(logits), topK);
  });
  const [probabilities, labels] = await Promise.all([values.data(), indices.data()]);
  tf.dispose([values, indices]);
  return images.map((image, row) => ({
    source: image.source,
    top: Array.from({ length: topK }, (_, rank) => {
      const label = labels[row * topK + rank]!;
      return { label, className: classNames[label] ?? String(label), probability: probabilities[row * topK + rank]! };
    }),
  }));
}

function checkTopK(classifier: Classifier, topK: number): void {
  const classes = classifier.classNames.length;
  if (!Number.isInteger(topK) || topK < 1 || topK > classes) {
    throw new RangeError(
      `Expected top-k to be an integer from 1 to ${classes} (the model's classes), got ${String(topK)}.`,
    );
  }
}
