// The data layer of @resnet-lab/trainer: dataset loaders (CIFAR-10 binary, image folders, synthetic), image
// decoding, the CIFAR-10 download and the augmented batches the training loop consumes.
export {
  CIFAR10_ARCHIVE_FOLDER,
  CIFAR10_CLASS_NAMES,
  CIFAR10_IMAGE_SIZE,
  CIFAR10_META_FILE,
  CIFAR10_RECORD_BYTES,
  CIFAR10_RECORDS_PER_FILE,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILE_COUNT,
  checkCifar10BinaryDirectory,
  cifar10TrainFile,
  hasCompleteCifar10Binary,
  isCifar10BinaryDirectory,
  readCifar10Binary,
  readCifar10Samples,
  writeCifar10Binary,
} from './cifar10-binary.js';
export type { WriteCifar10BinaryOptions } from './cifar10-binary.js';
export { datasetCacheDirectory, userCacheDirectory } from './dataset-cache-directory.js';
export { decodeImage, detectImageFormat, resizeImage } from './decode-image.js';
export type { DecodeImageOptions, DecodedImage, ImageFormat } from './decode-image.js';
export { CIFAR10_MD5, CIFAR10_URL, downloadCifar10 } from './download-cifar10.js';
export type { DownloadCifar10Options } from './download-cifar10.js';
export { extractTar, readTarEntries } from './extract-tar.js';
export type { TarEntry } from './extract-tar.js';
export { DatasetError } from './image-dataset.js';
export type { DatasetSplits, ImageDataset } from './image-dataset.js';
export { imageFolderCacheFile } from './image-folder-cache.js';
export { DEFAULT_IMAGE_SIZE, DEFAULT_TEST_FRACTION, MAX_TEST_FRACTION, loadImageFolder } from './image-folder.js';
export type { ImageFolderClass, ImageFolderOptions } from './image-folder.js';
export { SYNTHETIC_LOCATION, listImageFolderDataset, loadDataset } from './load-dataset.js';
export type { DatasetFormat, LoadDatasetOptions, LoadedDataset } from './load-dataset.js';
export {
  CIFAR10_NORMALIZATION,
  CROP_PADDING,
  IMAGENET_NORMALIZATION,
  computeNormalization,
  makeBatch,
} from './make-batch.js';
export type { MakeBatchOptions, Normalization } from './make-batch.js';
export { prepareImage } from './prepare-image.js';
export type { PrepareImageOptions } from './prepare-image.js';
export { deriveSeed, seededRandom, shuffledIndices } from './random.js';
export { readImageSize } from './read-image-size.js';
export type { ImageSize } from './read-image-size.js';
export { SYNTHETIC_CLASS_NAMES, SYNTHETIC_DEFAULTS, makeSyntheticDataset } from './synthetic-dataset.js';
export type { SyntheticDatasetOptions } from './synthetic-dataset.js';
