// One entry point for every dataset the trainer accepts: 'synthetic', a CIFAR-10 binary directory, or an image
// folder (with or without train/ and test/ subfolders), recognised from what is at the location.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CIFAR10_IMAGE_SIZE, isCifar10BinaryDirectory, readCifar10Binary } from './cifar10-binary.js';
import { hasErrorCode } from './has-error-code.js';
import { DatasetError, type DatasetSplits, type ImageDataset } from './image-dataset.js';
import {
  listImageFolderClasses,
  loadImageFolder,
  type ImageFolderClass,
  type ImageFolderOptions,
} from './image-folder.js';
import { makeSyntheticDataset, type SyntheticDatasetOptions } from './synthetic-dataset.js';

export type DatasetFormat = 'cifar10-binary' | 'image-folder' | 'synthetic';

export type LoadedDataset = DatasetSplits & {
  readonly format: DatasetFormat;
  /** The location as given: 'synthetic' or the directory. */
  readonly location: string;
};

/**
 * Options of the loaders; each applies where it makes sense. `imageSize`: image folder and synthetic (CIFAR-10
 * binary is 32 and accepts only that). `limitPerClass`: image folder and CIFAR-10 binary (first N of each class in
 * each split). `testRoot`, `testFraction`, `cacheDirectory`, `onProgress`: image folder. `classes`, `trainCount`,
 * `testCount`, `seed`: synthetic.
 */
export type LoadDatasetOptions = ImageFolderOptions & SyntheticDatasetOptions;

export const SYNTHETIC_LOCATION = 'synthetic';

const ACCEPTED_FORMATS =
  `'${SYNTHETIC_LOCATION}'; a CIFAR-10 binary directory (batches.meta.txt, data_batch_1.bin ... data_batch_5.bin, ` +
  `test_batch.bin, directly or in cifar-10-batches-bin/); or an image folder (<dir>/<class>/*.png|*.jpg, or ` +
  `<dir>/train/<class>/... with an optional <dir>/test/<class>/...)`;

export async function loadDataset(location: string, options: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  if (location === SYNTHETIC_LOCATION) {
    return { ...makeSyntheticDataset(options), format: 'synthetic', location };
  }
  const kind = await entryKind(location);
  if (kind !== 'directory') {
    throw new DatasetError(
      `Dataset location ${location} ${kind === 'missing' ? 'does not exist' : 'is not a directory'}. ` +
        `Accepted: ${ACCEPTED_FORMATS}.`,
    );
  }

  if (await isCifar10BinaryDirectory(location)) {
    if (options.imageSize !== undefined && options.imageSize !== CIFAR10_IMAGE_SIZE) {
      throw new DatasetError(
        `CIFAR-10 binary images are ${CIFAR10_IMAGE_SIZE}x${CIFAR10_IMAGE_SIZE}: imageSize ${options.imageSize} is ` +
          `not supported for ${location}.`,
      );
    }
    const splits = await readCifar10Binary(location);
    const { limitPerClass } = options;
    return {
      train: limitPerClass === undefined ? splits.train : takePerClass(splits.train, limitPerClass),
      test: limitPerClass === undefined ? splits.test : takePerClass(splits.test, limitPerClass),
      format: 'cifar10-binary',
      location,
    };
  }

  const roots = await imageFolderRoots(location);
  const splits = await loadImageFolder(roots.train, { ...options, testRoot: options.testRoot ?? roots.test });
  return { ...splits, format: 'image-folder', location };
}

/**
 * The classes of an image-folder dataset and their image counts, per split, as loadDataset would read them but
 * without decoding an image: for registering and checking a dataset. `test` is null without a test/ folder.
 */
export async function listImageFolderDataset(
  location: string,
): Promise<{ train: ImageFolderClass[]; test: ImageFolderClass[] | null }> {
  if ((await entryKind(location)) !== 'directory') {
    throw new DatasetError(`Dataset location ${location} does not exist or is not a directory.`);
  }
  const roots = await imageFolderRoots(location);
  return {
    train: await listImageFolderClasses(roots.train),
    test: roots.test === undefined ? null : await listImageFolderClasses(roots.test),
  };
}

/** <dir>/train (and <dir>/test when present) for a split image folder, else <dir> alone. */
async function imageFolderRoots(location: string): Promise<{ train: string; test: string | undefined }> {
  const trainRoot = path.join(location, 'train');
  if (!(await isDirectory(trainRoot))) return { train: location, test: undefined };
  const testRoot = path.join(location, 'test');
  return { train: trainRoot, test: (await isDirectory(testRoot)) ? testRoot : undefined };
}

/** The first `limit` images of each class, in dataset order. */
function takePerClass(dataset: ImageDataset, limit: number): ImageDataset {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new DatasetError(`Expected limitPerClass to be a positive integer, got ${limit}.`);
  }
  const taken = new Array<number>(dataset.classNames.length).fill(0);
  const kept: number[] = [];
  for (let index = 0; index < dataset.count; index++) {
    const label = dataset.labels[index]!;
    if (taken[label]! < limit) {
      taken[label]!++;
      kept.push(index);
    }
  }
  const imageBytes = dataset.height * dataset.width * 3;
  const images = new Uint8Array(kept.length * imageBytes);
  const labels = new Int32Array(kept.length);
  for (const [position, index] of kept.entries()) {
    images.set(dataset.images.subarray(index * imageBytes, (index + 1) * imageBytes), position * imageBytes);
    labels[position] = dataset.labels[index]!;
  }
  return { ...dataset, images, labels, count: kept.length };
}

async function isDirectory(location: string): Promise<boolean> {
  return (await entryKind(location)) === 'directory';
}

async function entryKind(location: string): Promise<'directory' | 'other' | 'missing'> {
  try {
    return (await fs.stat(location)).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT', 'ENOTDIR')) return 'missing';
    throw new DatasetError(`Cannot read dataset location ${location}.`, { cause: error });
  }
}
