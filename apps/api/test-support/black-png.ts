// Black PNG images built by hand (signature, then IHDR, IDAT and IEND chunks with their CRCs: the PNG specification,
// ISO/IEC 15948). A decompression bomb is one: rows of zeros deflate about 1,000 to 1, yet decode to
// `width * height * 4` bytes of RGBA.
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface BlackPngOptions {
  /** Bits per grayscale pixel: 1 makes the smallest file, 8 the one decoders spend most on. Default 1. */
  readonly bitDepth?: 1 | 8;
  /** Without pixel rows (false) it is a header that no decoder can decode. Default true. */
  readonly rows?: boolean;
}

/** A grayscale PNG of `width` x `height` black pixels: 9999 x 9999 at 8 bits is a 97 KB file of 100 MB of rows. */
export function blackPng(width: number, height: number, options: BlackPngOptions = {}): Buffer {
  const bitDepth = options.bitDepth ?? 1;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  // Bit depth, color type 0 (grayscale), deflate, adaptive filtering, no interlace.
  header.set([bitDepth, 0, 0, 0, 0], 8);
  // Each row: filter type 0 (none), then the packed pixels.
  const rowBytes = 1 + Math.ceil((width * bitDepth) / 8);
  const pixels =
    options.rows === false ? [] : [chunk('IDAT', deflateSync(Buffer.alloc(height * rowBytes), { level: 9 }))];
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), ...pixels, chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, checksum]);
}
