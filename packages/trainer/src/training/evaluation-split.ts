// Which images of a dataset an evaluation scores: its test split, its training split, or all of it; and the default
// for a location, so that a folder that is itself a test set is scored whole rather than its last 10% per class.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { hasErrorCode } from '../data/has-error-code.js';
import { SYNTHETIC_LOCATION, isCifar10BinaryDirectory, type DatasetSplits, type ImageDataset } from '../data/index.js';

/** 'all': the training and test splits together, i.e. every image of the location, nothing held out. */
export const EVAL_SPLITS = ['test', 'train', 'all'] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export function isEvalSplit(value: string): value is EvalSplit {
  return (EVAL_SPLITS as readonly string[]).includes(value);
}

/** The images of `split`; for 'all', the training images then the test images, in one dataset. */
export function evaluationSplit(dataset: DatasetSplits, split: EvalSplit): ImageDataset {
  if (split !== 'all') return dataset[split];
  const { train, test } = dataset;
  if (test.count === 0) return train;
  if (train.count === 0) return test;
  const images = new Uint8Array(train.images.length + test.images.length);
  images.set(train.images);
  images.set(test.images, train.images.length);
  const labels = new Int32Array(train.count + test.count);
  labels.set(train.labels);
  labels.set(test.labels, train.count);
  return { ...train, images, labels, count: train.count + test.count };
}

/**
 * The split `resnet-lab eval` scores when none is asked for: 'all' for an image folder without a train/ subfolder
 * that is not the data the checkpoint was trained on (a folder of test images, scored whole); otherwise 'test'.
 * `trainedOn` is the checkpoint's `config.data`, null for imported weights; paths are compared resolved against the
 * working directory.
 */
export async function defaultEvalSplit(location: string, trainedOn: string | null): Promise<EvalSplit> {
  if (location === SYNTHETIC_LOCATION) return 'test';
  if (trainedOn !== null && path.resolve(location) === path.resolve(trainedOn)) return 'test';
  if (!(await isDirectory(location)) || (await isDirectory(path.join(location, 'train')))) return 'test';
  return (await isCifar10BinaryDirectory(location)) ? 'test' : 'all';
}

/** Missing means no; other failures are left to loadDataset, which reports them with the location. */
async function isDirectory(location: string): Promise<boolean> {
  try {
    return (await fs.stat(location)).isDirectory();
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  }
}
