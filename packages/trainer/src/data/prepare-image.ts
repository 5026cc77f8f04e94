// One PNG or JPEG file turned into a model's input: decoded, resized bilinearly and normalized as the test split of a
// dataset is (torchvision's Resize, ToTensor and Normalize without augmentation).
import { decodeImage, resizeImage } from './decode-image.js';
import { makeBatch, type Normalization } from './make-batch.js';

export interface PrepareImageOptions {
  /** The model's input size, in pixels. */
  readonly width: number;
  readonly height: number;
  /** Applied after scaling to [0, 1]; null for none. */
  readonly normalization: Normalization | null;
  /** Largest image decoded, in pixels (width x height); default 100,000,000, decodeImage's default. */
  readonly maxPixels?: number;
}

/**
 * Returns `[height, width, 3]` floats (channels last) for the image. A corrupt, unsupported or too large image throws a
 * DatasetError naming `source`.
 */
export function prepareImage(bytes: Uint8Array, source: string, options: PrepareImageOptions): Float32Array {
  const { width, height, normalization, maxPixels } = options;
  const decoded = decodeImage(bytes, source, maxPixels === undefined ? {} : { maxMegapixels: maxPixels / 1_000_000 });
  const resized = resizeImage(decoded, width, height);
  return makeBatch({ classNames: [], images: resized.data, labels: new Int32Array(1), count: 1, height, width }, [0], {
    augment: false,
    random: () => 0,
    normalization: normalization ?? undefined,
  });
}
