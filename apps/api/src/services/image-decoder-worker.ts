// The task of the image decoder pool's threads (image-decoder-pool.ts): one uploaded image to the model's input
// floats, off the API's event loop. piscina loads this file in each worker thread.
import os from 'node:os';
import { DatasetError, prepareImage, type PrepareImageOptions } from '@resnet-lab/trainer';

/** The lowest scheduling priority: when cores are short, the API's event loop runs first. */
const DECODER_NICENESS = 19;
// Linux keeps a nice value per thread, so this lowers this worker thread alone; elsewhere it would lower the whole
// API process.
if (process.platform === 'linux') os.setPriority(DECODER_NICENESS);

export interface DecodeImageTask extends PrepareImageOptions {
  readonly bytes: Uint8Array;
  /** Names the image in errors. */
  readonly source: string;
}

/**
 * The image's `[height, width, 3]` floats (copied back: a model input is small); or, for an image that cannot be
 * decoded, the DatasetError's message: an error's class does not survive the trip between threads.
 */
export type DecodeImageResult = { readonly pixels: Float32Array } | { readonly datasetError: string };

export default function imageDecoderWorker(task: DecodeImageTask): DecodeImageResult {
  const { bytes, source, ...options } = task;
  try {
    return { pixels: prepareImage(bytes, source, options) };
  } catch (error) {
    if (error instanceof DatasetError) return { datasetError: error.message };
    throw error;
  }
}
