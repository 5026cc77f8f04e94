// A small pool of worker threads that decode, resize and normalize the images sent to `predict`, so that a large or
// hostile image keeps one thread busy instead of blocking the API's event loop and every other request with it.
import os from 'node:os';
import { DatasetError } from '@resnet-lab/trainer';
import { Piscina } from 'piscina';
import type { DecodeImageResult, DecodeImageTask } from './image-decoder-worker.js';

const WORKER_FILE = new URL('./image-decoder-worker.ts', import.meta.url).href;
/** The worker is TypeScript like the rest of the repository: tsx's loader runs it without a build step. */
const TSX_LOADER = import.meta.resolve('tsx');
/** Threads by default: one core at least is left to the API's event loop, and at most two go to decoding. */
const DEFAULT_THREADS = Math.max(1, Math.min(2, os.availableParallelism() - 1));
/** Images accepted per thread (one decoding, the rest waiting) before `decode` refuses more. */
const IMAGES_PER_THREAD = 8;

/** As many images as the pool accepts are already being decoded or waiting; the caller should retry later. */
export class ImageDecoderBusyError extends Error {
  constructor(readonly accepted: number) {
    super(`${accepted} images are already being decoded or waiting for a thread; try again when they are done.`);
    this.name = 'ImageDecoderBusyError';
  }
}

export class ImageDecoderPool {
  private pool: Piscina<DecodeImageTask, DecodeImageResult> | null = null;
  /** Images decoding or waiting: each holds its compressed bytes, up to MAX_IMAGE_BYTES, until done. */
  private accepted = 0;
  private closed = false;

  constructor(private readonly threads = DEFAULT_THREADS) {}

  /**
   * The model input for one image, decoded on a worker thread. Throws a DatasetError for an image that cannot be
   * decoded, and an ImageDecoderBusyError when `threads * 8` images are already decoding or waiting.
   */
  async decode(task: DecodeImageTask): Promise<Float32Array> {
    if (this.closed) throw new Error('The image decoder pool is closed: the API is stopping.');
    const limit = this.threads * IMAGES_PER_THREAD;
    if (this.accepted >= limit) throw new ImageDecoderBusyError(this.accepted);
    // Started on the first image, so that an API that never predicts starts no threads.
    this.pool ??= new Piscina({
      filename: WORKER_FILE,
      minThreads: this.threads,
      maxThreads: this.threads,
      execArgv: ['--import', TSX_LOADER],
    });
    this.accepted++;
    let result: DecodeImageResult;
    try {
      result = await this.pool.run(task);
    } finally {
      this.accepted--;
    }
    if ('datasetError' in result) throw new DatasetError(result.datasetError);
    return result.pixels;
  }

  /** Stops the threads at once; a decode in progress rejects. Safe to call when no image was ever decoded. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }
}
