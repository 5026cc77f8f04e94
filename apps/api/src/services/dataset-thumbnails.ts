// A few images of a dataset as small PNG data URLs, for previewDataset: one per class in label order, then a second
// per class, and so on, up to DATASET_THUMBNAIL_COUNT. Only those images are read and decoded.
import fs from 'node:fs/promises';
import {
  DatasetError,
  decodeImage,
  makeSyntheticDataset,
  readCifar10Samples,
  readImageSize,
  resizeImage,
  type DecodedImage,
  type ImageDataset,
  type SyntheticDatasetOptions,
} from '@resnet-lab/trainer';
import { PNG } from 'pngjs';

/** Thumbnails per preview at most. */
export const DATASET_THUMBNAIL_COUNT = 8;
/** Height and width of a thumbnail, in pixels. */
export const DATASET_THUMBNAIL_SIZE = 64;
/** Records of a CIFAR-10 training file read to find one image of each class: 100 hold all 10 classes in practice. */
const CIFAR10_SAMPLE_RECORDS = 100;
/**
 * Largest image file turned into a thumbnail, in pixels (2000x2000): decoding blocks the event loop, for about a
 * second per 8 images of this size. A larger one is passed over for the next file of its class.
 */
const MAX_SOURCE_PIXELS = 4_000_000;
/** Image files looked at, at most, to fill the thumbnails when some are passed over for their size. */
const MAX_CANDIDATE_FILES = 4 * DATASET_THUMBNAIL_COUNT;

export interface DatasetThumbnail {
  readonly className: string;
  /** The image file, for an image folder. */
  readonly file: string | null;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** `data:image/png;base64,...` of a DATASET_THUMBNAIL_SIZE square. */
  readonly dataUrl: string;
}

/** Where thumbnails come from. */
export type ThumbnailSource =
  | { readonly format: 'IMAGE_FOLDER'; readonly classes: readonly { className: string; files: readonly string[] }[] }
  | { readonly format: 'CIFAR10_BINARY'; readonly location: string; readonly classNames: readonly string[] }
  | { readonly format: 'SYNTHETIC'; readonly options: Required<Omit<SyntheticDatasetOptions, 'seed'>> };

/**
 * The thumbnails of `source`. Throws a DatasetError naming the file for an image that cannot be decoded (training
 * would fail on it too).
 */
export async function datasetThumbnails(source: ThumbnailSource): Promise<DatasetThumbnail[]> {
  switch (source.format) {
    case 'IMAGE_FOLDER':
      return imageFolderThumbnails(source.classes);
    case 'CIFAR10_BINARY': {
      const samples = await readCifar10Samples(source.location, CIFAR10_SAMPLE_RECORDS);
      return datasetImageThumbnails(samples, source.classNames);
    }
    case 'SYNTHETIC': {
      const { classes } = source.options;
      // Generated no larger than a thumbnail: twenty 1024x1024 images take seconds. Labels run i % classes before
      // shuffling, so two per class give every class, twice.
      const imageSize = Math.min(source.options.imageSize, DATASET_THUMBNAIL_SIZE);
      const { train } = makeSyntheticDataset({ classes, imageSize, trainCount: 2 * classes, testCount: 0 });
      return datasetImageThumbnails(train, train.classNames);
    }
  }
}

/**
 * `groups` taken in turns: the first of each group in order, then the second of each, and so on, `count` at most.
 */
export function takeInTurns<T>(groups: readonly (readonly T[])[], count: number): T[] {
  const taken: T[] = [];
  for (let turn = 0; taken.length < count && groups.some((group) => turn < group.length); turn++) {
    for (const group of groups) {
      if (turn < group.length && taken.length < count) taken.push(group[turn]!);
    }
  }
  return taken;
}

async function imageFolderThumbnails(
  classes: readonly { className: string; files: readonly string[] }[],
): Promise<DatasetThumbnail[]> {
  const candidates = takeInTurns(
    classes.map(({ className, files }) => files.slice(0, MAX_CANDIDATE_FILES).map((file) => ({ className, file }))),
    MAX_CANDIDATE_FILES,
  );
  const thumbnails: DatasetThumbnail[] = [];
  // Files in turn order; one too large to decode quickly is passed over, so the next candidate takes its place.
  for (const { className, file } of candidates) {
    if (thumbnails.length === DATASET_THUMBNAIL_COUNT) break;
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (error) {
      throw new DatasetError(`Cannot read image ${file}.`, { cause: error });
    }
    const size = readImageSize(bytes, file);
    if (size.width * size.height > MAX_SOURCE_PIXELS) continue;
    const image = decodeImage(bytes, file);
    thumbnails.push({
      className,
      file,
      sourceWidth: image.width,
      sourceHeight: image.height,
      dataUrl: pngDataUrl(image),
    });
  }
  return thumbnails;
}

function datasetImageThumbnails(dataset: ImageDataset, classNames: readonly string[]): DatasetThumbnail[] {
  const byLabel = classNames.map(() => [] as number[]);
  for (let index = 0; index < dataset.count; index++) byLabel[dataset.labels[index]!]?.push(index);
  const imageBytes = dataset.height * dataset.width * 3;
  return takeInTurns(byLabel, DATASET_THUMBNAIL_COUNT).map((index) => ({
    className: classNames[dataset.labels[index]!]!,
    file: null,
    sourceWidth: dataset.width,
    sourceHeight: dataset.height,
    dataUrl: pngDataUrl({
      width: dataset.width,
      height: dataset.height,
      data: dataset.images.subarray(index * imageBytes, (index + 1) * imageBytes),
    }),
  }));
}

/** `image` resized to a DATASET_THUMBNAIL_SIZE square, as an RGB PNG data URL. */
function pngDataUrl(image: DecodedImage): string {
  const { data } = resizeImage(image, DATASET_THUMBNAIL_SIZE, DATASET_THUMBNAIL_SIZE);
  const png = new PNG({ width: DATASET_THUMBNAIL_SIZE, height: DATASET_THUMBNAIL_SIZE });
  for (let pixel = 0; pixel < DATASET_THUMBNAIL_SIZE * DATASET_THUMBNAIL_SIZE; pixel++) {
    png.data[pixel * 4] = data[pixel * 3]!;
    png.data[pixel * 4 + 1] = data[pixel * 3 + 1]!;
    png.data[pixel * 4 + 2] = data[pixel * 3 + 2]!;
    png.data[pixel * 4 + 3] = 255;
  }
  return `data:image/png;base64,${PNG.sync.write(png, { colorType: 2 }).toString('base64')}`;
}
