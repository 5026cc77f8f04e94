// How dataset formats read on screen, and which ones a folder can hold.
import type { DatasetFormat } from '../../generated/graphql';

export const DATASET_FORMAT_LABELS: Record<DatasetFormat, string> = {
  IMAGE_FOLDER: 'Image folder',
  CIFAR10_BINARY: 'CIFAR-10 binary',
  SYNTHETIC: 'Synthetic',
};

/** The formats that live in a folder, which the register form offers. */
export const FOLDER_FORMATS: readonly DatasetFormat[] = ['IMAGE_FOLDER', 'CIFAR10_BINARY'];
