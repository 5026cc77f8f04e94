// Reads and writes the CIFAR-10 binary release (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version").
//
// Each record is 3,073 bytes: one label byte, then 3,072 pixel bytes stored planar (1,024 red, 1,024 green,
// 1,024 blue, each 32x32 row-major). ImageDataset keeps channels last, so reading interleaves the planes.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { hasErrorCode } from './has-error-code.js';
import { DatasetError, type DatasetSplits, type ImageDataset } from './image-dataset.js';

export const CIFAR10_IMAGE_SIZE = 32;
const PIXELS_PER_CHANNEL = CIFAR10_IMAGE_SIZE * CIFAR10_IMAGE_SIZE;
const IMAGE_BYTES = PIXELS_PER_CHANNEL * 3;
export const CIFAR10_RECORD_BYTES = 1 + IMAGE_BYTES;

/** Records in each file of the official release: data_batch_1.bin ... data_batch_5.bin and test_batch.bin. */
export const CIFAR10_RECORDS_PER_FILE = 10_000;

export const CIFAR10_META_FILE = 'batches.meta.txt';
export const CIFAR10_TEST_FILE = 'test_batch.bin';
/** The official release splits the 50,000 training images over five files of 10,000. */
export const CIFAR10_TRAIN_FILE_COUNT = 5;
/** The folder the official archive cifar-10-binary.tar.gz extracts to. */
export const CIFAR10_ARCHIVE_FOLDER = 'cifar-10-batches-bin';
/** The official release's classes, in label order (its batches.meta.txt), as torchvision's CIFAR10 names them. */
export const CIFAR10_CLASS_NAMES: readonly string[] = Object.freeze([
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
]);

const TRAIN_FILE_PATTERN = /^data_batch_(\d+)\.bin$/;
const integer = new Intl.NumberFormat('en-US');
const EXPECTED_FILES =
  `${CIFAR10_META_FILE}, data_batch_1.bin ... data_batch_${CIFAR10_TRAIN_FILE_COUNT}.bin and ${CIFAR10_TEST_FILE}` +
  ` (directly or in a ${CIFAR10_ARCHIVE_FOLDER}/ subfolder)`;

export function cifar10TrainFile(number: number): string {
  return `data_batch_${number}.bin`;
}

/**
 * Reads the training files `data_batch_1.bin`, `data_batch_2.bin`, ... (the official release has five; fewer are
 * accepted so that small datasets written by writeCifar10Binary read back), `test_batch.bin` and the class names
 * of `batches.meta.txt`, from `directory` or from its `cifar-10-batches-bin/` subfolder.
 */
export async function readCifar10Binary(directory: string): Promise<DatasetSplits> {
  const files = await locateCifar10Files(directory);
  const classNames = await readClassNames(files.metaFile);
  return {
    train: await readRecordFiles(files.trainFiles, classNames),
    test: await readRecordFiles([files.testFile], classNames),
  };
}

/**
 * The first `limit` records of the first training file (data_batch_1.bin) of `directory` (or its
 * `cifar-10-batches-bin/` subfolder), with the class names of batches.meta.txt: a few images to look at, for
 * `limit * 3,073` bytes read instead of the whole dataset. Fewer when the file holds fewer.
 */
export async function readCifar10Samples(directory: string, limit: number): Promise<ImageDataset> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Expected limit to be a positive integer, got ${limit}.`);
  }
  const files = await locateCifar10Files(directory);
  const classNames = await readClassNames(files.metaFile);
  const file = files.trainFiles[0]!;
  const size = await fileSize(file);
  checkRecordFileSize(file, size);
  const count = Math.min(limit, size / CIFAR10_RECORD_BYTES);
  const bytes = new Uint8Array(count * CIFAR10_RECORD_BYTES);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const { bytesRead } = await handle.read(bytes, 0, bytes.byteLength, 0);
    if (bytesRead !== bytes.byteLength) throw new Error(`Read ${bytesRead} of ${bytes.byteLength} bytes.`);
  } catch (error) {
    throw new DatasetError(`Cannot read ${file}.`, { cause: error });
  } finally {
    await handle?.close();
  }
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Int32Array(count);
  decodeRecords(bytes, file, classNames, images, labels, 0);
  return { classNames, images, labels, count, height: CIFAR10_IMAGE_SIZE, width: CIFAR10_IMAGE_SIZE };
}

/**
 * Whether `directory` (or its `cifar-10-batches-bin/` subfolder) holds any file of the CIFAR-10 binary release, so
 * that a loader sends it to readCifar10Binary, which then names whatever is missing.
 */
export async function isCifar10BinaryDirectory(directory: string): Promise<boolean> {
  for (const candidate of [directory, path.join(directory, CIFAR10_ARCHIVE_FOLDER)]) {
    const entries = await listFiles(candidate);
    if (entries?.some(isCifar10FileName)) return true;
  }
  return false;
}

/**
 * What keeps `directory` (or its `cifar-10-batches-bin/` subfolder, as readCifar10Binary picks) from being the
 * complete official release, or null when nothing does: a non-empty batches.meta.txt and the five training files
 * and test_batch.bin of exactly 10,000 records (30,730,000 bytes) each. Reads only directory entries and sizes, so
 * that checking a dataset costs no more than listing it. readCifar10Binary accepts smaller sets (those
 * writeCifar10Binary writes); this is for callers that promise the official 50,000 training and 10,000 test images.
 */
export async function checkCifar10BinaryDirectory(directory: string): Promise<string | null> {
  const topEntries = await listFiles(directory);
  if (topEntries === undefined) return `${directory} does not exist or is not a directory.`;
  const nested = path.join(directory, CIFAR10_ARCHIVE_FOLDER);
  const nestedEntries = topEntries.some(isCifar10FileName) ? undefined : await listFiles(nested);
  const folder = nestedEntries === undefined ? directory : nested;
  const recordFiles = [
    ...Array.from({ length: CIFAR10_TRAIN_FILE_COUNT }, (_, index) => cifar10TrainFile(index + 1)),
    CIFAR10_TEST_FILE,
  ];
  const sizes = new Map<string, number | undefined>();
  for (const file of [CIFAR10_META_FILE, ...recordFiles]) {
    sizes.set(file, await regularFileSize(path.join(folder, file)));
  }
  const missing = [...sizes].filter(([, size]) => size === undefined).map(([file]) => file);
  if (missing.length > 0) {
    return `No complete CIFAR-10 binary dataset at ${folder}: missing ${missing.join(', ')}. Expected ${EXPECTED_FILES}.`;
  }
  const expectedBytes = CIFAR10_RECORDS_PER_FILE * CIFAR10_RECORD_BYTES;
  const wrong = recordFiles
    .filter((file) => sizes.get(file) !== expectedBytes)
    .map((file) => `${file} holds ${integer.format(sizes.get(file)!)} bytes`);
  if (wrong.length > 0) {
    return (
      `${folder} is not the complete CIFAR-10 binary release: ${wrong.join(', ')}; each batch file holds ` +
      `${integer.format(CIFAR10_RECORDS_PER_FILE)} records of ${integer.format(CIFAR10_RECORD_BYTES)} bytes ` +
      `(${integer.format(expectedBytes)} bytes).`
    );
  }
  if (sizes.get(CIFAR10_META_FILE) === 0) {
    return `${path.join(folder, CIFAR10_META_FILE)} is empty: expected the 10 class names, one per line.`;
  }
  return null;
}

/** Whether `directory` (or its subfolder) holds all files of the official release: meta, five training files, test. */
export async function hasCompleteCifar10Binary(directory: string): Promise<boolean> {
  const required = [
    CIFAR10_META_FILE,
    CIFAR10_TEST_FILE,
    ...Array.from({ length: CIFAR10_TRAIN_FILE_COUNT }, (_, index) => cifar10TrainFile(index + 1)),
  ];
  for (const candidate of [directory, path.join(directory, CIFAR10_ARCHIVE_FOLDER)]) {
    const entries = await listFiles(candidate);
    if (entries && required.every((file) => entries.includes(file))) return true;
  }
  return false;
}

export interface WriteCifar10BinaryOptions {
  /** How many `data_batch_<n>.bin` files the training split is spread over, as evenly as possible (default 5). */
  readonly trainFiles?: number;
}

/** Writes `splits` in the official binary format into `directory`: the inverse of readCifar10Binary. */
export async function writeCifar10Binary(
  directory: string,
  splits: DatasetSplits,
  { trainFiles = CIFAR10_TRAIN_FILE_COUNT }: WriteCifar10BinaryOptions = {},
): Promise<void> {
  const { train, test } = splits;
  for (const [name, split] of [
    ['train', train],
    ['test', test],
  ] as const) {
    if (split.height !== CIFAR10_IMAGE_SIZE || split.width !== CIFAR10_IMAGE_SIZE) {
      throw new DatasetError(
        `CIFAR-10 binary images are 32x32, but the ${name} split holds ${split.width}x${split.height} images.`,
      );
    }
  }
  if (train.classNames.join('\n') !== test.classNames.join('\n')) {
    throw new DatasetError(
      `The train and test splits must share class names to be written as CIFAR-10 binary, got ` +
        `[${train.classNames.join(', ')}] and [${test.classNames.join(', ')}].`,
    );
  }
  if (train.classNames.length === 0 || train.classNames.length > 256) {
    throw new DatasetError(
      `CIFAR-10 binary stores labels in one byte: expected 1 to 256 class names, got ${train.classNames.length}.`,
    );
  }
  if (!Number.isInteger(trainFiles) || trainFiles < 1 || trainFiles > train.count) {
    throw new DatasetError(
      `Expected trainFiles to be an integer from 1 to the ${train.count} training images (no file may be empty), ` +
        `got ${trainFiles}.`,
    );
  }
  if (test.count === 0) {
    throw new DatasetError(`CIFAR-10 binary needs at least one test image: ${CIFAR10_TEST_FILE} may not be empty.`);
  }

  await fs.mkdir(directory, { recursive: true });
  for (let file = 0; file < trainFiles; file++) {
    // Even shares, the larger ones last: 50,000 over 5 files is 10,000 each, 7 over 3 is 2, 2, 3.
    const start = Math.floor((file * train.count) / trainFiles);
    const end = Math.floor(((file + 1) * train.count) / trainFiles);
    await writeFileAtomic(path.join(directory, cifar10TrainFile(file + 1)), encodeRecords(train, start, end));
  }
  await writeFileAtomic(path.join(directory, CIFAR10_TEST_FILE), encodeRecords(test, 0, test.count));
  await writeFileAtomic(path.join(directory, CIFAR10_META_FILE), Buffer.from(`${train.classNames.join('\n')}\n`));
}

interface Cifar10Files {
  readonly metaFile: string;
  readonly trainFiles: readonly string[];
  readonly testFile: string;
}

async function locateCifar10Files(directory: string): Promise<Cifar10Files> {
  const nested = path.join(directory, CIFAR10_ARCHIVE_FOLDER);
  const topEntries = await listFiles(directory);
  if (topEntries === undefined) {
    throw new DatasetError(`No CIFAR-10 binary dataset at ${directory}: the directory does not exist.`);
  }
  const nestedEntries = topEntries.some(isCifar10FileName) ? undefined : await listFiles(nested);
  const [folder, entries] = nestedEntries === undefined ? [directory, topEntries] : [nested, nestedEntries];

  const trainNumbers = entries
    .map((entry) => TRAIN_FILE_PATTERN.exec(entry)?.[1])
    .filter((digits) => digits !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const missing = [CIFAR10_META_FILE, CIFAR10_TEST_FILE].filter((file) => !entries.includes(file));
  // Training files are numbered from 1 without gaps, so that a lost file is reported rather than skipped.
  const lastTrainFile = Math.max(1, ...trainNumbers);
  for (let number = 1; number <= lastTrainFile; number++) {
    if (!trainNumbers.includes(number)) missing.push(cifar10TrainFile(number));
  }
  if (missing.length > 0) {
    throw new DatasetError(
      `No complete CIFAR-10 binary dataset at ${folder}: missing ${missing.join(', ')}. Expected ${EXPECTED_FILES}.`,
    );
  }
  return {
    metaFile: path.join(folder, CIFAR10_META_FILE),
    trainFiles: trainNumbers.map((number) => path.join(folder, cifar10TrainFile(number))),
    testFile: path.join(folder, CIFAR10_TEST_FILE),
  };
}

async function readClassNames(metaFile: string): Promise<string[]> {
  const text = await readDatasetFile(metaFile);
  const classNames = text
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (classNames.length === 0) {
    throw new DatasetError(`${metaFile} lists no class names: expected one name per line.`);
  }
  return classNames;
}

async function readRecordFiles(files: readonly string[], classNames: readonly string[]): Promise<ImageDataset> {
  const sizes: number[] = [];
  for (const file of files) {
    const size = await fileSize(file);
    checkRecordFileSize(file, size);
    sizes.push(size);
  }
  const count = sizes.reduce((total, size) => total + size / CIFAR10_RECORD_BYTES, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Int32Array(count);
  let offset = 0;
  for (const [fileIndex, file] of files.entries()) {
    const bytes = await readDatasetFile(file);
    // Sizes came from stat; a file replaced since then must not write past what was allocated.
    if (bytes.byteLength !== sizes[fileIndex]) {
      throw new DatasetError(`${file} changed size while it was being read.`);
    }
    offset = decodeRecords(bytes, file, classNames, images, labels, offset);
  }
  return { classNames, images, labels, count, height: CIFAR10_IMAGE_SIZE, width: CIFAR10_IMAGE_SIZE };
}

function checkRecordFileSize(file: string, size: number): void {
  if (size === 0 || size % CIFAR10_RECORD_BYTES !== 0) {
    throw new DatasetError(
      `${file} holds ${size} bytes, which is not a positive multiple of the ${CIFAR10_RECORD_BYTES}-byte ` +
        `CIFAR-10 record (1 label byte + 3,072 pixel bytes).`,
    );
  }
}

/** Decodes every record of `bytes` into `images` (channels last) and `labels` from `first`; returns the next index. */
function decodeRecords(
  bytes: Uint8Array,
  file: string,
  classNames: readonly string[],
  images: Uint8Array,
  labels: Int32Array,
  first: number,
): number {
  const records = bytes.byteLength / CIFAR10_RECORD_BYTES;
  for (let record = 0; record < records; record++) {
    const start = record * CIFAR10_RECORD_BYTES;
    const label = bytes[start]!;
    if (label >= classNames.length) {
      throw new DatasetError(
        `${file} record ${record} has label ${label}, but ${CIFAR10_META_FILE} lists ${classNames.length} classes ` +
          `(labels 0 to ${classNames.length - 1}).`,
      );
    }
    const index = first + record;
    labels[index] = label;
    const planes = start + 1;
    const target = index * IMAGE_BYTES;
    for (let pixel = 0; pixel < PIXELS_PER_CHANNEL; pixel++) {
      images[target + pixel * 3] = bytes[planes + pixel]!;
      images[target + pixel * 3 + 1] = bytes[planes + PIXELS_PER_CHANNEL + pixel]!;
      images[target + pixel * 3 + 2] = bytes[planes + 2 * PIXELS_PER_CHANNEL + pixel]!;
    }
  }
  return first + records;
}

/** Records `start` ... `end - 1` of `dataset` in the binary layout: label byte, then the R, G and B planes. */
function encodeRecords(dataset: ImageDataset, start: number, end: number): Uint8Array {
  const bytes = new Uint8Array((end - start) * CIFAR10_RECORD_BYTES);
  for (let index = start; index < end; index++) {
    const target = (index - start) * CIFAR10_RECORD_BYTES;
    bytes[target] = dataset.labels[index]!;
    const source = index * IMAGE_BYTES;
    for (let pixel = 0; pixel < PIXELS_PER_CHANNEL; pixel++) {
      bytes[target + 1 + pixel] = dataset.images[source + pixel * 3]!;
      bytes[target + 1 + PIXELS_PER_CHANNEL + pixel] = dataset.images[source + pixel * 3 + 1]!;
      bytes[target + 1 + 2 * PIXELS_PER_CHANNEL + pixel] = dataset.images[source + pixel * 3 + 2]!;
    }
  }
  return bytes;
}

function isCifar10FileName(entry: string): boolean {
  return entry === CIFAR10_META_FILE || entry === CIFAR10_TEST_FILE || TRAIN_FILE_PATTERN.test(entry);
}

/** The entries of a directory, or undefined when it does not exist or is not a directory. */
async function listFiles(directory: string): Promise<string[] | undefined> {
  try {
    return await fs.readdir(directory);
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw new DatasetError(`Cannot list ${directory}.`, { cause: error });
  }
}

/** The size of a regular file (links followed), or undefined when there is none at `file`. */
async function regularFileSize(file: string): Promise<number | undefined> {
  try {
    const stats = await fs.stat(file);
    return stats.isFile() ? stats.size : undefined;
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw new DatasetError(`Cannot read ${file}.`, { cause: error });
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch (error) {
    throw new DatasetError(`Cannot read ${file}.`, { cause: error });
  }
}

async function readDatasetFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new DatasetError(`Cannot read ${file}.`, { cause: error });
  }
}
