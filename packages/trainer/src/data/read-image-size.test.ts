import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './image-dataset.js';
import { readImageSize } from './read-image-size.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A PNG signature and IHDR chunk alone: all readImageSize needs, and nothing a decoder could decode. */
function pngHeader(width: number, height: number, type = 'IHDR', length = 13): Uint8Array {
  const chunk = Buffer.alloc(8 + 13 + 4);
  chunk.writeUInt32BE(length, 0);
  chunk.write(type, 4, 'latin1');
  chunk.writeUInt32BE(width, 8);
  chunk.writeUInt32BE(height, 12);
  chunk.set([8, 2, 0, 0, 0], 16);
  return Uint8Array.from([...PNG_SIGNATURE, ...chunk]);
}

/** SOI, the given segments (marker, payload), then EOI. Lengths are filled in. */
function jpegSegments(...segments: [number, number[]][]): Uint8Array {
  const bytes = [0xff, 0xd8];
  for (const [marker, payload] of segments) {
    const length = payload.length + 2;
    bytes.push(0xff, marker, length >> 8, length & 0xff, ...payload);
  }
  return Uint8Array.from([...bytes, 0xff, 0xd9]);
}

/** A frame header payload: precision 8, height, width, one component. */
function frame(width: number, height: number): number[] {
  return [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
}

function errorOf(bytes: Uint8Array, source = 'image'): Error {
  try {
    readImageSize(bytes, source);
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected readImageSize to throw.');
}

describe('readImageSize', () => {
  it('reads the size of PNGs and JPEGs that encoders wrote', () => {
    const png = new PNG({ width: 7, height: 5 });
    expect(readImageSize(PNG.sync.write(png), 'a.png')).toEqual({ format: 'png', width: 7, height: 5 });
    const encoded = jpeg.encode({ width: 13, height: 9, data: new Uint8Array(13 * 9 * 4) }, 90).data;
    expect(readImageSize(encoded, 'a.jpg')).toEqual({ format: 'jpeg', width: 13, height: 9 });
  });

  it('reads the header of an image too large to decode without needing its pixels', () => {
    expect(readImageSize(pngHeader(9999, 9999), 'bomb.png')).toEqual({ format: 'png', width: 9999, height: 9999 });
    expect(readImageSize(pngHeader(2 ** 31 - 1, 1), 'wide.png')).toEqual({
      format: 'png',
      width: 2 ** 31 - 1,
      height: 1,
    });
    const header = jpegSegments([0xc0, frame(65535, 65535)]).subarray(0, 2 + 4 + 5);
    expect(readImageSize(header, 'bomb.jpg')).toEqual({ format: 'jpeg', width: 65535, height: 65535 });
  });

  it('skips JPEG segments, fill bytes and standalone markers before the frame header, whichever SOF it is', () => {
    const app1 = [0xe1, Array.from({ length: 300 }, (_, index) => index % 256)] as [number, number[]];
    const progressive = jpegSegments(app1, [0xdb, new Array<number>(65).fill(1)], [0xc2, frame(640, 480)]);
    expect(readImageSize(progressive, 'p.jpg')).toEqual({ format: 'jpeg', width: 640, height: 480 });
    // 0xFF fill bytes before a marker, and a standalone RST0 (no length), are allowed by T.81 B.1.1.2.
    const filled = Uint8Array.from([0xff, 0xd8, 0xff, 0xff, 0xff, 0xd0, 0xff, 0xcf, 0x00, 0x0b, ...frame(3, 2)]);
    expect(readImageSize(filled, 'f.jpg')).toEqual({ format: 'jpeg', width: 3, height: 2 });
    // DHT (0xC4) sits among the SOF markers but is not one.
    const huffmanFirst = jpegSegments([0xc4, [0, 1, 2, 3, 4, 5, 6, 7, 8]], [0xc1, frame(21, 34)]);
    expect(readImageSize(huffmanFirst, 'h.jpg')).toEqual({ format: 'jpeg', width: 21, height: 34 });
  });

  it('names the source and the reason for truncated headers', () => {
    expect(errorOf(pngHeader(4, 4).subarray(0, 20), 'cut.png').message).toBe(
      'PNG cut.png is truncated: 20 bytes, too short for its IHDR header (24 bytes up to the height).',
    );
    const encoded = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 4) }, 90).data;
    expect(errorOf(encoded.subarray(0, 30), 'cut.jpg').message).toBe(
      'JPEG cut.jpg is truncated: it ends after 30 bytes, before its frame header.',
    );
  });

  it('refuses corrupt headers, naming what is wrong', () => {
    expect(errorOf(pngHeader(4, 4, 'IDAT'), 'x.png').message).toBe(
      'PNG x.png is corrupt: its first chunk must be IHDR of 13 bytes, got "IDAT" of 13 bytes.',
    );
    expect(errorOf(pngHeader(4, 4, 'IHDR', 14), 'x.png').message).toBe(
      'PNG x.png is corrupt: its first chunk must be IHDR of 13 bytes, got "IHDR" of 14 bytes.',
    );
    expect(errorOf(pngHeader(0, 4), 'x.png').message).toBe(
      'PNG x.png is corrupt: its header says 0x4 pixels; each side must be from 1 to 2147483647.',
    );
    expect(errorOf(pngHeader(2 ** 31, 1), 'x.png').message).toBe(
      'PNG x.png is corrupt: its header says 2147483648x1 pixels; each side must be from 1 to 2147483647.',
    );
    expect(errorOf(jpegSegments([0xda, [1, 2, 3]]), 'x.jpg').message).toBe(
      'JPEG x.jpg is corrupt: marker 0xFFDA comes before any frame header.',
    );
    expect(errorOf(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]), 'x.jpg').message).toBe(
      'JPEG x.jpg is corrupt: marker 0xFFD9 comes before any frame header.',
    );
    expect(errorOf(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0x12]), 'x.jpg').message).toBe(
      'JPEG x.jpg is corrupt: expected a marker (0xFF) at byte 8, got 0x12.',
    );
    expect(errorOf(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01]), 'x.jpg').message).toBe(
      'JPEG x.jpg is corrupt: marker 0xFFE0 has length 1.',
    );
    expect(errorOf(jpegSegments([0xc0, frame(16, 0)]), 'dnl.jpg').message).toBe(
      'JPEG dnl.jpg is unsupported: its frame header says 16x0 pixels; each side must be at least 1.',
    );
    expect(errorOf(Buffer.from('GIF89a'), 'x.gif').message).toBe(
      'Unsupported image format in x.gif: expected PNG or JPEG by its first bytes.',
    );
  });

  it('answers every prefix of a header with the size or a DatasetError, never reading past the end', () => {
    const encoded = jpeg.encode({ width: 5, height: 3, data: new Uint8Array(5 * 3 * 4) }, 90).data;
    for (const [bytes, size] of [
      [pngHeader(6, 2), { format: 'png', width: 6, height: 2 }],
      [encoded, { format: 'jpeg', width: 5, height: 3 }],
    ] as const) {
      const answers = Array.from({ length: bytes.byteLength + 1 }, (_, length) => {
        try {
          return readImageSize(bytes.subarray(0, length), 'prefix');
        } catch (error) {
          expect(error).toBeInstanceOf(DatasetError);
          return null;
        }
      });
      const first = answers.findIndex((answer) => answer !== null);
      expect(first).toBeGreaterThan(0);
      expect(answers.slice(first)).toEqual(new Array(bytes.byteLength + 1 - first).fill(size));
    }
  });
});
