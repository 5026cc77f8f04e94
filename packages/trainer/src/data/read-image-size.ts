// An image's width and height read from its header alone (PNG IHDR, JPEG SOFn frame header), so that an image too
// large to decode is refused before any pixel memory is allocated. PNG: ISO/IEC 15948 §11.2.2; JPEG: ITU-T T.81
// §B.1.1 (marker segments) and §B.2.2 (frame header).
import { detectImageFormat, type ImageFormat } from './decode-image.js';
import { DatasetError } from './image-dataset.js';

export interface ImageSize {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

// Signature (8), then the IHDR chunk: length (4) = 13, type (4) = 'IHDR', width (4), height (4), ...
const PNG_IHDR_LENGTH_OFFSET = 8;
const PNG_IHDR_TYPE_OFFSET = 12;
const PNG_WIDTH_OFFSET = 16;
const PNG_IHDR_DATA_LENGTH = 13;
/** The PNG spec caps each dimension at 2^31 - 1. */
const PNG_MAX_DIMENSION = 2 ** 31 - 1;
const IHDR = 'IHDR';

/** Start of frame markers: baseline, extended, progressive, lossless, hierarchical, arithmetic (not DHT, JPG, DAC). */
const JPEG_FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** Start of scan and end of image: pixel data or the end came before any frame header. */
const JPEG_SOS = 0xda;
const JPEG_EOI = 0xd9;

/**
 * The format and dimensions of a PNG or JPEG, read from its header without decoding it. Throws a DatasetError naming
 * `source` for another format, a header cut short, or dimensions the format does not allow (zero, or over 2^31 - 1
 * for PNG).
 */
export function readImageSize(bytes: Uint8Array, source: string): ImageSize {
  const format = detectImageFormat(bytes);
  if (format === undefined) {
    throw new DatasetError(`Unsupported image format in ${source}: expected PNG or JPEG by its first bytes.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return format === 'png' ? readPngSize(bytes, view, source) : readJpegSize(view, source);
}

function readPngSize(bytes: Uint8Array, view: DataView, source: string): ImageSize {
  if (bytes.byteLength < PNG_WIDTH_OFFSET + 8) {
    throw new DatasetError(
      `PNG ${source} is truncated: ${bytes.byteLength} bytes, too short for its IHDR header ` +
        `(${PNG_WIDTH_OFFSET + 8} bytes up to the height).`,
    );
  }
  const type = String.fromCharCode(...bytes.subarray(PNG_IHDR_TYPE_OFFSET, PNG_IHDR_TYPE_OFFSET + 4));
  const length = view.getUint32(PNG_IHDR_LENGTH_OFFSET);
  if (type !== IHDR || length !== PNG_IHDR_DATA_LENGTH) {
    throw new DatasetError(
      `PNG ${source} is corrupt: its first chunk must be IHDR of ${PNG_IHDR_DATA_LENGTH} bytes, ` +
        `got ${JSON.stringify(type)} of ${length} bytes.`,
    );
  }
  const width = view.getUint32(PNG_WIDTH_OFFSET);
  const height = view.getUint32(PNG_WIDTH_OFFSET + 4);
  if (width < 1 || height < 1 || width > PNG_MAX_DIMENSION || height > PNG_MAX_DIMENSION) {
    throw new DatasetError(
      `PNG ${source} is corrupt: its header says ${width}x${height} pixels; each side must be from 1 to ` +
        `${PNG_MAX_DIMENSION}.`,
    );
  }
  return { format: 'png', width, height };
}

function readJpegSize(view: DataView, source: string): ImageSize {
  const truncated = () =>
    new DatasetError(`JPEG ${source} is truncated: it ends after ${view.byteLength} bytes, before its frame header.`);
  // After SOI (FF D8), marker segments follow: FF, optional FF fill bytes, the marker, then a 2-byte length that
  // counts itself, except for standalone markers (TEM, RSTn) that have no length.
  let offset = 2;
  for (;;) {
    if (offset >= view.byteLength) throw truncated();
    if (view.getUint8(offset) !== 0xff) {
      throw new DatasetError(
        `JPEG ${source} is corrupt: expected a marker (0xFF) at byte ${offset}, got 0x${hex(view.getUint8(offset))}.`,
      );
    }
    while (offset < view.byteLength && view.getUint8(offset) === 0xff) offset++;
    if (offset >= view.byteLength) throw truncated();
    const marker = view.getUint8(offset);
    offset++;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === JPEG_SOS || marker === JPEG_EOI) {
      throw new DatasetError(`JPEG ${source} is corrupt: marker 0xFF${hex(marker)} comes before any frame header.`);
    }
    if (offset + 2 > view.byteLength) throw truncated();
    const length = view.getUint16(offset);
    if (length < 2) {
      throw new DatasetError(`JPEG ${source} is corrupt: marker 0xFF${hex(marker)} has length ${length}.`);
    }
    if (JPEG_FRAME_MARKERS.has(marker)) {
      // Frame header: length (2), sample precision (1), height (2), width (2), ...
      if (length < 7 || offset + 7 > view.byteLength) throw truncated();
      const height = view.getUint16(offset + 3);
      const width = view.getUint16(offset + 5);
      if (width < 1 || height < 1) {
        // A height of 0 defers it to a DNL marker after the first scan, which the decoder does not support.
        throw new DatasetError(
          `JPEG ${source} is unsupported: its frame header says ${width}x${height} pixels; each side must be at least 1.`,
        );
      }
      return { format: 'jpeg', width, height };
    }
    offset += length;
  }
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}
