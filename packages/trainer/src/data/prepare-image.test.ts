import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './image-dataset.js';
import { prepareImage } from './prepare-image.js';

/** A 2x2 RGB PNG: red, green / blue, white. */
function quadrantsPng(): Uint8Array {
  const png = new PNG({ width: 2, height: 2 });
  png.data.set([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
  return PNG.sync.write(png);
}

describe('prepareImage', () => {
  it('scales pixels to [0, 1] and normalizes them per channel, channels last', () => {
    expect(Array.from(prepareImage(quadrantsPng(), 'q.png', { width: 2, height: 2, normalization: null }))).toEqual([
      1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1,
    ]);
    const normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 2] } as const;
    expect(Array.from(prepareImage(quadrantsPng(), 'q.png', { width: 2, height: 2, normalization }))).toEqual([
      1, -2, -0.25, -1, 2, -0.25, -1, -2, 0.25, 1, 2, 0.25,
    ]);
  });

  it('resizes to the model input: 2x2 to 1x1 averages the four pixels', () => {
    const pixels = prepareImage(quadrantsPng(), 'q.png', { width: 1, height: 1, normalization: null });
    // Bilinear with half-pixel centres samples (0.5, 0.5): each channel's mean, rounded to a byte first.
    expect(Array.from(pixels)).toEqual([128 / 255, 128 / 255, 128 / 255].map(Math.fround));
  });

  it('refuses an image over maxPixels before decoding it', () => {
    const options = { width: 1, height: 1, normalization: null, maxPixels: 3 };
    expect(() => prepareImage(quadrantsPng(), 'q.png', options)).toThrow(DatasetError);
    expect(() => prepareImage(quadrantsPng(), 'q.png', options)).toThrow(
      'PNG q.png is 2x2 pixels, more than 0.000003 megapixels, the largest image accepted.',
    );
  });
});
