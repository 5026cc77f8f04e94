// Top-k classes with softmax probabilities for PNG/JPEG images of any size, resized to the model's input.
import * as tf from '@tensorflow/tfjs';
import { decodeImage, makeBatch, resizeImage, type ImageDataset, type Normalization } from '../data/index.js';

export interface ImageInput {
  /** File name or other label used in errors and results. */
  readonly source: string;
  readonly bytes: Uint8Array;
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
  readonly model: tf.LayersModel;
  readonly classNames: readonly string[];
  readonly normalization: Normalization | null;
}

/** Decodes, resizes and classifies; a corrupt or unsupported image throws a DatasetError naming its source. */
export async function predictImages(
  classifier: Classifier,
  inputs: readonly ImageInput[],
  topK = 3,
): Promise<ImagePrediction[]> {
  const { model, classNames, normalization } = classifier;
  const classes = classNames.length;
  if (!Number.isInteger(topK) || topK < 1 || topK > classes) {
    throw new RangeError(
      `Expected top-k to be an integer from 1 to ${classes} (the model's classes), got ${String(topK)}.`,
    );
  }
  if (inputs.length === 0) return [];
  const [, height, width] = model.inputs[0]!.shape as [null, number, number, number];
  const images = new Uint8Array(inputs.length * height * width * 3);
  inputs.forEach((input, index) => {
    const resized = resizeImage(decodeImage(input.bytes, input.source), width, height);
    images.set(resized.data, index * height * width * 3);
  });
  const batch: ImageDataset = {
    classNames,
    images,
    labels: new Int32Array(inputs.length),
    count: inputs.length,
    height,
    width,
  };
  const pixels = makeBatch(
    batch,
    Int32Array.from(inputs, (_, index) => index),
    {
      augment: false,
      random: () => 0,
      normalization: normalization ?? undefined,
    },
  );
  const { values, indices } = tf.tidy(() => {
    const logits = model.apply(tf.tensor4d(pixels, [inputs.length, height, width, 3]), {
      training: false,
    }) as tf.Tensor2D;
    return tf.topk(tf.softmax(logits), topK);
  });
  const [probabilities, labels] = await Promise.all([values.data(), indices.data()]);
  tf.dispose([values, indices]);
  return inputs.map((input, row) => ({
    source: input.source,
    top: Array.from({ length: topK }, (_, rank) => {
      const label = labels[row * topK + rank]!;
      return { label, className: classNames[label] ?? String(label), probability: probabilities[row * topK + rank]! };
    }),
  }));
}
