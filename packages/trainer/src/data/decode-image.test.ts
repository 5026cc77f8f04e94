import { crc32, deflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage, detectImageFormat, resizeImage, type DecodedImage } from './decode-image.js';
import { DatasetError } from './image-dataset.js';

/** A PNG written chunk by chunk, so that colour types pngjs cannot write (palette, 16-bit) can be tested. */
function encodePng(
  width: number,
  height: number,
  colorType: number,
  bitDepth: number,
  rows: number[][],
  extraChunks: [string, number[]][] = [],
): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.byteLength);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, checksum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([bitDepth, colorType, 0, 0, 0], 8);
  // Filter type 0 (none) before every row.
  const raw = Buffer.from(rows.flatMap((row) => [0, ...row]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...extraChunks.map(([type, data]) => chunk(type, Uint8Array.from(data))),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function image(width: number, height: number, values: number[]): DecodedImage {
  return { width, height, data: Uint8Array.from(values) };
}

/** A single-channel image replicated to RGB, to write hand-computed cases compactly. */
function gray(width: number, height: number, values: number[]): DecodedImage {
  return image(
    width,
    height,
    values.flatMap((value) => [value, value, value]),
  );
}

describe('decodeImage', () => {
  it('decodes an 8-bit RGB PNG exactly', () => {
    const png = encodePng(2, 2, 2, 8, [
      [1, 2, 3, 4, 5, 6],
      [7, 8, 9, 250, 251, 252],
    ]);
    expect(decodeImage(png, 'rgb.png')).toEqual(image(2, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 252]));
  });

  it('drops the alpha channel, keeping the stored colour (as PIL convert("RGB"))', () => {
    const png = encodePng(2, 1, 6, 8, [[10, 20, 30, 0, 200, 100, 50, 128]]);
    expect(decodeImage(png, 'rgba.png')).toEqual(image(2, 1, [10, 20, 30, 200, 100, 50]));
  });

  it('expands grayscale, 16-bit grayscale and palette PNGs to RGB', () => {
    expect(decodeImage(encodePng(2, 1, 0, 8, [[0, 77]]), 'gray.png')).toEqual(image(2, 1, [0, 0, 0, 77, 77, 77]));
    // 0x8080 = 128 * 257 scales to exactly 128.
    expect(decodeImage(encodePng(1, 1, 0, 16, [[0x80, 0x80]]), 'gray16.png')).toEqual(image(1, 1, [128, 128, 128]));
    const palette = encodePng(3, 1, 3, 8, [[1, 0, 1]], [['PLTE', [255, 0, 0, 0, 128, 255]]]);
    expect(decodeImage(palette, 'palette.png')).toEqual(image(3, 1, [0, 128, 255, 255, 0, 0, 0, 128, 255]));
  });

  it('decodes a JPEG, whatever the file is called', () => {
    const rgba = new Uint8Array(16 * 8 * 4);
    for (let pixel = 0; pixel < 16 * 8; pixel++) rgba.set([200, 100, 50, 255], pixel * 4);
    const bytes = jpeg.encode({ width: 16, height: 8, data: rgba }, 100).data;
    expect(detectImageFormat(bytes)).toBe('jpeg');
    const decoded = decodeImage(bytes, 'photo.png');
    expect([decoded.width, decoded.height, decoded.data.length]).toEqual([16, 8, 16 * 8 * 3]);
    for (let pixel = 0; pixel < 16 * 8; pixel++) {
      const [red, green, blue] = decoded.data.subarray(pixel * 3, pixel * 3 + 3);
      expect(Math.max(Math.abs(red! - 200), Math.abs(green! - 100), Math.abs(blue! - 50))).toBeLessThanOrEqual(3);
    }
  });

  it('rejects other formats by their signature, naming the source', () => {
    expect(() => decodeImage(Buffer.from('GIF89a...'), 'cats/1.gif')).toThrow(
      new DatasetError(
        'Unsupported image format in cats/1.gif: expected PNG or JPEG, but its first bytes are 47 49 46 38.',
      ),
    );
    expect(() => decodeImage(new Uint8Array(0), 'empty.png')).toThrow(
      'Unsupported image format in empty.png: expected PNG or JPEG, but its first bytes are (empty file).',
    );
  });

  it('reports truncated files with the decoder’s error as cause', () => {
    const png = encodePng(2, 2, 2, 8, [
      [1, 2, 3, 4, 5, 6],
      [7, 8, 9, 10, 11, 12],
    ]);
    const pngError = captureError(() => decodeImage(png.subarray(0, 40), 'cut.png'));
    expect(pngError).toBeInstanceOf(DatasetError);
    expect(pngError.message).toBe('Cannot decode PNG cut.png: the file is corrupt or truncated.');
    expect(pngError.cause).toBeInstanceOf(Error);

    const jpegBytes = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 4) }, 90).data;
    const jpegError = captureError(() => decodeImage(jpegBytes.subarray(0, jpegBytes.length / 2), 'cut.jpg'));
    expect(jpegError.message).toBe('Cannot decode JPEG cut.jpg: the file is corrupt, truncated or unsupported.');
    expect(jpegError.cause).toBeInstanceOf(Error);
  });

  it('refuses images beyond the resolution and memory limits before decoding them', () => {
    const png = encodePng(4, 4, 0, 8, [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(() => decodeImage(png, 'big.png', { maxMegapixels: 0.00001 })).toThrow(
      'PNG big.png is 4x4 pixels, more than 0.00001 megapixels, the largest image accepted.',
    );
    const jpegBytes = jpeg.encode({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 4) }, 90).data;
    expect(() => decodeImage(jpegBytes, 'big.jpg', { maxMegapixels: 0.001 })).toThrow(
      'JPEG big.jpg has more than 0.001 megapixels, the largest image accepted.',
    );
    expect(() => decodeImage(jpegBytes, 'big.jpg', { maxMemoryMB: 0.001 })).toThrow(
      'Decoding JPEG big.jpg would need more than 0.001 MB of memory.',
    );
  });
});

describe('resizeImage', () => {
  it('returns the image itself when the size already matches', () => {
    const original = gray(2, 2, [1, 2, 3, 4]);
    expect(resizeImage(original, 2, 2)).toBe(original);
  });

  it('enlarges with half-pixel centres, clamping at the edges', () => {
    // Output column x samples input column (x + 0.5) / 2 - 0.5: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    expect(resizeImage(gray(2, 1, [0, 100]), 4, 1)).toEqual(gray(4, 1, [0, 25, 75, 100]));
    expect(resizeImage(gray(2, 2, [0, 100, 200, 40]), 4, 4)).toEqual(
      gray(4, 4, [0, 25, 75, 100, 50, 59, 76, 85, 150, 126, 79, 55, 200, 160, 80, 40]),
    );
  });

  it('reduces by averaging the two nearest pixels, per channel', () => {
    // Output pixel x samples input position 2x + 0.5: the mean of pixels 2x and 2x + 1.
    expect(resizeImage(gray(4, 1, [0, 10, 100, 200]), 2, 1)).toEqual(gray(2, 1, [5, 150]));
    // Width 3 -> 2 samples 0.25 and 1.75.
    expect(resizeImage(image(3, 1, [0, 0, 9, 100, 40, 9, 200, 80, 9]), 2, 1)).toEqual(
      image(2, 1, [25, 10, 9, 175, 70, 9]),
    );
  });

  it('matches tf.image.resizeBilinear with halfPixelCenters', () => {
    const source = image(
      7,
      5,
      Array.from({ length: 7 * 5 * 3 }, (_, index) => (index * 37) % 256),
    );
    for (const [width, height] of [
      [3, 4],
      [11, 9],
      [7, 2],
    ] as const) {
      const expected = tf.tidy(() =>
        tf.image
          .resizeBilinear(tf.tensor3d(source.data, [5, 7, 3], 'float32'), [height, width], false, true)
          .dataSync(),
      );
      const actual = resizeImage(source, width, height).data;
      const worst = Math.max(...Array.from(actual, (value, index) => Math.abs(value - expected[index]!)));
      expect(worst).toBeLessThanOrEqual(0.501);
    }
  });

  it('rejects sizes that are not positive integers', () => {
    expect(() => resizeImage(gray(1, 1, [0]), 0, 2)).toThrow(
      'Expected a positive integer width and height to resize to, got 0x2.',
    );
  });
});

function captureError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected an error.');
}
