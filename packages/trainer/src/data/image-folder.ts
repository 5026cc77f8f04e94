// Loads a folder of class subfolders of PNG/JPEG images (the layout of torchvision's ImageFolder) into byte
// datasets, decoding once and caching the result where the caller says (never inside the folder unasked).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { decodeImage, resizeImage } from './decode-image.js';
import { hasErrorCode } from './has-error-code.js';
import { DatasetError, type DatasetSplits, type ImageDataset } from './image-dataset.js';
import { imageFolderCacheKey, readImageFolderCache, writeImageFolderCache } from './image-folder-cache.js';

export interface ImageFolderOptions {
  /** A second folder with the same class subfolders, used whole as the test split; default none. */
  readonly testRoot?: string | undefined;
  /** Without testRoot, the share of each class held out as the test split: its last files. 0 ... 0.9, default 0.1. */
  readonly testFraction?: number | undefined;
  /** Height and width in pixels the images are resized to, bilinearly, when they differ; default 32. */
  readonly imageSize?: number | undefined;
  /** Only the first N files (in name order) of each class, of root and of testRoot, before splitting; default all. */
  readonly limitPerClass?: number | undefined;
  /**
   * Where the decoded images are cached (see datasetCacheDirectory); default none: every load decodes. Never the
   * image folder by default, which may be read-only or the user's own.
   */
  readonly cacheDirectory?: string | undefined;
  /** Called when the cache cannot be written (read-only folder, full disk); the load goes on without it. */
  readonly onCacheWriteError?: ((error: Error) => void) | undefined;
  /** Called while decoding (not when the cache answers), at least once per 64 images and after the last. */
  readonly onProgress?: ((decodedImages: number, totalImages: number) => void) | undefined;
}

export const DEFAULT_TEST_FRACTION = 0.1;
export const MAX_TEST_FRACTION = 0.9;
export const DEFAULT_IMAGE_SIZE = 32;
const MAX_IMAGE_SIZE = 1024;
const IMAGE_FILE_PATTERN = /\.(png|jpe?g)$/i;
const EXPECTED_LAYOUT = '<class>/*.png, *.jpg or *.jpeg (one subfolder per class)';
/** Files read concurrently while the previous ones decode. */
const READ_BATCH = 64;

/** One image file and the label of the class folder it lies in. */
export interface LabelledFile {
  readonly path: string;
  /** `<class>/<file>`, prefixed with the split once split (`train/cat/0001.jpg`); part of the cache key. */
  readonly key: string;
  readonly label: number;
}

/**
 * Classes are the subfolders of `root` in plain string order (not locale order), so CIFAR-10's airplane ... truck
 * become labels 0 ... 9; files are in name order within a class, and the datasets hold the images class by
 * class. Hidden files and folders (starting with `.`) are skipped. Without `testRoot` the test split is, per class,
 * the last `round(testFraction * n)` files: deterministic and stratified.
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions = {}): Promise<DatasetSplits> {
  const { testRoot, limitPerClass, onProgress } = options;
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  const imageSize = options.imageSize ?? DEFAULT_IMAGE_SIZE;
  checkOptions(testFraction, imageSize, limitPerClass);

  await requireDirectory(root, 'Image folder');
  const classNames = await listClassFolders(root);
  const rootFiles = await listClassFiles(root, classNames, limitPerClass);
  let files: { train: LabelledFile[]; test: LabelledFile[] };
  if (testRoot === undefined) {
    files = holdOut(rootFiles, testFraction);
  } else {
    await requireDirectory(testRoot, 'Test image folder');
    const testClassNames = await listClassFolders(testRoot);
    if (testClassNames.join('/') !== classNames.join('/')) {
      throw new DatasetError(
        `Test folder ${testRoot} has the classes [${testClassNames.join(', ')}], but ${root} has ` +
          `[${classNames.join(', ')}]: both must hold the same class subfolders.`,
      );
    }
    const testFiles = await listClassFiles(testRoot, classNames, limitPerClass);
    files = { train: rootFiles.flat(), test: testFiles.flat() };
  }
  files = { train: withSplitKeys(files.train, 'train'), test: withSplitKeys(files.test, 'test') };

  const cache =
    options.cacheDirectory === undefined
      ? null
      : {
          directory: options.cacheDirectory,
          key: await imageFolderCacheKey([...files.train, ...files.test], {
            imageSize,
            limitPerClass: limitPerClass ?? null,
            testFraction: testRoot === undefined ? testFraction : null,
          }),
        };
  const cached = cache && (await readImageFolderCache(cache.directory, cache.key, classNames));
  if (cached) return cached;

  const total = files.train.length + files.test.length;
  const report = (decodedBefore: number) => (decoded: number) => onProgress?.(decodedBefore + decoded, total);
  const splits = {
    train: await decodeFiles(files.train, classNames, imageSize, report(0)),
    test: await decodeFiles(files.test, classNames, imageSize, report(files.train.length)),
  };
  if (cache) await writeImageFolderCache(cache.directory, cache.key, splits, options.onCacheWriteError);
  return splits;
}

function checkOptions(testFraction: number, imageSize: number, limitPerClass: number | undefined): void {
  if (!Number.isFinite(testFraction) || testFraction < 0 || testFraction > MAX_TEST_FRACTION) {
    throw new DatasetError(`Expected testFraction to be a number from 0 to ${MAX_TEST_FRACTION}, got ${testFraction}.`);
  }
  if (!Number.isInteger(imageSize) || imageSize < 1 || imageSize > MAX_IMAGE_SIZE) {
    throw new DatasetError(`Expected imageSize to be an integer from 1 to ${MAX_IMAGE_SIZE}, got ${imageSize}.`);
  }
  if (limitPerClass !== undefined && (!Number.isInteger(limitPerClass) || limitPerClass < 1)) {
    throw new DatasetError(`Expected limitPerClass to be a positive integer, got ${limitPerClass}.`);
  }
}

async function requireDirectory(directory: string, what: string): Promise<void> {
  let stats;
  try {
    stats = await fs.stat(directory);
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT', 'ENOTDIR')) {
      throw new DatasetError(`${what} ${directory} does not exist: expected ${EXPECTED_LAYOUT}.`, { cause: error });
    }
    throw new DatasetError(`Cannot read ${what.toLowerCase()} ${directory}.`, { cause: error });
  }
  if (!stats.isDirectory()) {
    throw new DatasetError(`${what} ${directory} is not a directory: expected ${EXPECTED_LAYOUT}.`);
  }
}

/** A class folder of an image folder: its name (the label's) and how many images it holds. */
export interface ImageFolderClass {
  readonly className: string;
  readonly images: number;
  /** Its image files' paths, in the order loading reads them (name order). */
  readonly files: readonly string[];
}

/** The class folders under `root` in label order, with their image counts; the same checks as loading. */
export async function listImageFolderClasses(root: string): Promise<ImageFolderClass[]> {
  const classNames = await listClassFolders(root);
  const files = await listClassFiles(root, classNames, undefined);
  return classNames.map((className, label) => ({
    className,
    images: files[label]!.length,
    files: files[label]!.map((file) => file.path),
  }));
}

async function listClassFolders(root: string): Promise<string[]> {
  const classNames: string[] = [];
  for (const entry of await readDirectory(root)) {
    if (entry.name.startsWith('.')) continue;
    // A link counts by what it points to; a broken one is not a class folder.
    const isDirectory = entry.isSymbolicLink()
      ? (await fs.stat(path.join(root, entry.name)).catch(() => undefined))?.isDirectory() === true
      : entry.isDirectory();
    if (isDirectory) classNames.push(entry.name);
  }
  if (classNames.length === 0) {
    throw new DatasetError(`Image folder ${root} has no class subfolders: expected ${EXPECTED_LAYOUT}.`);
  }
  return classNames.sort(compareStrings);
}

/** Per class (index = label), the image files in name order, at most `limitPerClass` of them. */
async function listClassFiles(
  root: string,
  classNames: readonly string[],
  limitPerClass: number | undefined,
): Promise<LabelledFile[][]> {
  const files: LabelledFile[][] = [];
  for (const [label, className] of classNames.entries()) {
    const folder = path.join(root, className);
    const names = (await readDirectory(folder))
      .filter((entry) => !entry.isDirectory() && !entry.name.startsWith('.') && IMAGE_FILE_PATTERN.test(entry.name))
      .map((entry) => entry.name)
      .sort(compareStrings);
    if (names.length === 0) {
      throw new DatasetError(`Class folder ${folder} holds no images: expected *.png, *.jpg or *.jpeg files.`);
    }
    files.push(
      names
        .slice(0, limitPerClass)
        .map((name) => ({ path: path.join(folder, name), key: `${className}/${name}`, label })),
    );
  }
  return files;
}

/** Per class, the last `round(testFraction * n)` files become the test split. */
function holdOut(
  filesPerClass: readonly LabelledFile[][],
  testFraction: number,
): { train: LabelledFile[]; test: LabelledFile[] } {
  const train: LabelledFile[] = [];
  const test: LabelledFile[] = [];
  for (const files of filesPerClass) {
    const trainCount = files.length - Math.round(testFraction * files.length);
    train.push(...files.slice(0, trainCount));
    test.push(...files.slice(trainCount));
  }
  return { train, test };
}

function withSplitKeys(files: readonly LabelledFile[], split: 'train' | 'test'): LabelledFile[] {
  return files.map((file) => ({ ...file, key: `${split}/${file.key}` }));
}

async function decodeFiles(
  files: readonly LabelledFile[],
  classNames: readonly string[],
  imageSize: number,
  onProgress: (decoded: number) => void,
): Promise<ImageDataset> {
  const imageBytes = imageSize * imageSize * 3;
  const images = new Uint8Array(files.length * imageBytes);
  const labels = new Int32Array(files.length);
  for (let start = 0; start < files.length; start += READ_BATCH) {
    const batch = files.slice(start, start + READ_BATCH);
    const contents = await Promise.all(batch.map((file) => readImageFile(file.path)));
    for (const [offset, file] of batch.entries()) {
      const image = resizeImage(decodeImage(contents[offset]!, file.path), imageSize, imageSize);
      images.set(image.data, (start + offset) * imageBytes);
      labels[start + offset] = file.label;
    }
    onProgress(start + batch.length);
  }
  return { classNames, images, labels, count: files.length, height: imageSize, width: imageSize };
}

async function readImageFile(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new DatasetError(`Cannot read image ${file}.`, { cause: error });
  }
}

async function readDirectory(directory: string) {
  try {
    return await fs.readdir(directory, { withFileTypes: true });
  } catch (error) {
    throw new DatasetError(`Cannot list ${directory}.`, { cause: error });
  }
}

/** Plain UTF-16 code-unit order, the same on every machine, unlike localeCompare. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
