// Decodes PNG and JPEG files to RGB bytes and resizes them bilinearly (half-pixel centres, as
// tf.image.resizeBilinear with halfPixelCenters and PyTorch's interpolate with align_corners=False).
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError } from './image-dataset.js';

/** An RGB image: `height * width * 3` bytes, row-major, channels last. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg';

export interface DecodeImageOptions {
  /** Largest image accepted, in millions of pixels (default 100, jpeg-js's own default). */
  readonly maxMegapixels?: number;
  /** Most memory jpeg-js may allocate while decoding one JPEG, in MB (default 1,024). */
  readonly maxMemoryMB?: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
// The PNG signature is followed by the IHDR chunk: length (4), type (4), width (4), height (4).
const PNG_WIDTH_OFFSET = 16;

/** The format named by the file's first bytes (its signature), whatever its extension says. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, JPEG_SIGNATURE)) return 'jpeg';
  return undefined;
}

/**
 * Decodes a PNG or JPEG to 8-bit RGB. Grayscale and palette images are expanded to RGB; 16-bit PNGs are scaled to
 * 8 bits. An alpha channel is dropped, not composited: colour values are kept as stored, as PIL's
 * `convert('RGB')` does in torchvision's default image loader. `source` (a path) names the image in errors.
 */
export function decodeImage(bytes: Uint8Array, source: string, options: DecodeImageOptions = {}): DecodedImage {
  const format = detectImageFormat(bytes);
  if (format === undefined) {
    const signature = Array.from(bytes.subarray(0, 4), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    throw new DatasetError(
      `Unsupported image format in ${source}: expected PNG or JPEG, but its first bytes are ` +
        `${signature === '' ? '(empty file)' : signature}.`,
    );
  }
  const { maxMegapixels = 100, maxMemoryMB = 1024 } = options;
  return format === 'png'
    ? decodePng(bytes, source, maxMegapixels)
    : decodeJpeg(bytes, source, maxMegapixels, maxMemoryMB);
}

function decodePng(bytes: Uint8Array, source: string, maxMegapixels: number): DecodedImage {
  // pngjs has no size limit of its own: read the IHDR dimensions before it allocates anything.
  if (bytes.byteLength >= PNG_WIDTH_OFFSET + 8) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkResolution(view.getUint32(PNG_WIDTH_OFFSET), view.getUint32(PNG_WIDTH_OFFSET + 4), source, maxMegapixels);
  }
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new DatasetError(`Cannot decode PNG ${source}: the file is corrupt or truncated.`, { cause: error });
  }
  // pngjs always yields 8-bit RGBA, whatever the colour type and bit depth of the file.
  return { width: png.width, height: png.height, data: dropAlpha(png.data, png.width * png.height) };
}

function decodeJpeg(bytes: Uint8Array, source: string, maxMegapixels: number, maxMemoryMB: number): DecodedImage {
  try {
    // formatAsRGBA false gives RGB directly; jpeg-js expands grayscale to RGB and converts CMYK.
    const image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: maxMegapixels,
      maxMemoryUsageInMB: maxMemoryMB,
    });
    return { width: image.width, height: image.height, data: image.data };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('maxResolutionInMP limit exceeded')) {
      throw new DatasetError(`JPEG ${source} has more than ${maxMegapixels} megapixels, the largest image accepted.`, {
        cause: error,
      });
    }
    if (message.startsWith('maxMemoryUsageInMB limit exceeded') || message.startsWith('Could not allocate')) {
      throw new DatasetError(`Decoding JPEG ${source} would need more than ${maxMemoryMB} MB of memory.`, {
        cause: error,
      });
    }
    throw new DatasetError(`Cannot decode JPEG ${source}: the file is corrupt, truncated or unsupported.`, {
      cause: error,
    });
  }
}

function checkResolution(width: number, height: number, source: string, maxMegapixels: number): void {
  if (width * height > maxMegapixels * 1_000_000) {
    throw new DatasetError(
      `PNG ${source} is ${width}x${height} pixels, more than ${maxMegapixels} megapixels, the largest image accepted.`,
    );
  }
}

function dropAlpha(rgba: Uint8Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let pixel = 0; pixel < pixels; pixel++) {
    rgb[pixel * 3] = rgba[pixel * 4]!;
    rgb[pixel * 3 + 1] = rgba[pixel * 4 + 1]!;
    rgb[pixel * 3 + 2] = rgba[pixel * 4 + 2]!;
  }
  return rgb;
}

/**
 * Bilinear resize with half-pixel centres: output pixel x samples the input at `(x + 0.5) * inWidth / width - 0.5`,
 * clamped to the edge pixels, and rounds to the nearest byte. No antialiasing filter is applied (tf and PyTorch's
 * bilinear interpolate do none either), so large reductions alias. Returns `image` itself when the size matches.
 */
export function resizeImage(image: DecodedImage, width: number, height: number): DecodedImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Expected a positive integer width and height to resize to, got ${width}x${height}.`);
  }
  if (image.width === width && image.height === height) return image;
  const columns = samplingPositions(image.width, width);
  const rows = samplingPositions(image.height, height);
  const data = new Uint8Array(width * height * 3);
  const source = image.data;
  const rowStride = image.width * 3;
  for (let y = 0; y < height; y++) {
    const top = rows.lower[y]! * rowStride;
    const bottom = rows.upper[y]! * rowStride;
    const rowWeight = rows.fraction[y]!;
    for (let x = 0; x < width; x++) {
      const left = columns.lower[x]! * 3;
      const right = columns.upper[x]! * 3;
      const columnWeight = columns.fraction[x]!;
      const target = (y * width + x) * 3;
      for (let channel = 0; channel < 3; channel++) {
        const upper =
          source[top + left + channel]! +
          (source[top + right + channel]! - source[top + left + channel]!) * columnWeight;
        const lower =
          source[bottom + left + channel]! +
          (source[bottom + right + channel]! - source[bottom + left + channel]!) * columnWeight;
        data[target + channel] = Math.round(upper + (lower - upper) * rowWeight);
      }
    }
  }
  return { width, height, data };
}

/** For each output index, the two input indices it interpolates between and the weight of the second. */
function samplingPositions(
  inputSize: number,
  outputSize: number,
): { lower: Int32Array; upper: Int32Array; fraction: Float64Array } {
  const lower = new Int32Array(outputSize);
  const upper = new Int32Array(outputSize);
  const fraction = new Float64Array(outputSize);
  const scale = inputSize / outputSize;
  for (let index = 0; index < outputSize; index++) {
    const position = Math.min(Math.max((index + 0.5) * scale - 0.5, 0), inputSize - 1);
    lower[index] = Math.floor(position);
    upper[index] = Math.min(lower[index]! + 1, inputSize - 1);
    fraction[index] = position - lower[index]!;
  }
  return { lower, upper, fraction };
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return bytes.byteLength >= signature.length && signature.every((byte, index) => bytes[index] === byte);
}
