// The in-memory form every dataset loader produces: RGB bytes, labels and class names.

/** Images of one split, stored as bytes to keep CIFAR-10's 60,000 images at 184 MB rather than 737 MB. */
export interface ImageDataset {
  /** Class names, index = label. */
  readonly classNames: readonly string[];
  /** `count * height * width * 3` RGB bytes, row-major, channels last (the layout of a `[count, h, w, 3]` tensor). */
  readonly images: Uint8Array;
  /** `count` labels, each in `[0, classNames.length)`. */
  readonly labels: Int32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

export interface DatasetSplits {
  readonly train: ImageDataset;
  readonly test: ImageDataset;
}

/** A dataset the user pointed at that cannot be read; the message names the file and what was expected. */
export class DatasetError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatasetError';
  }
}
