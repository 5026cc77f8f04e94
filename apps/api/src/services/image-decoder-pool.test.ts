import { DatasetError, prepareImage } from '@resnet-lab/trainer';
import { afterAll, describe, expect, it } from 'vitest';
import { stripesPng } from '../../test-support/test-api.js';
import { ImageDecoderBusyError, ImageDecoderPool } from './image-decoder-pool.js';

const pool = new ImageDecoderPool(1);
afterAll(async () => {
  await pool.close();
});

const normalization = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } as const;

describe('ImageDecoderPool', () => {
  it('gives the same model input as prepareImage on this thread', async () => {
    const bytes = new Uint8Array(stripesPng(20));
    const options = { width: 8, height: 8, normalization };
    const pixels = await pool.decode({ bytes, source: 'stripes.png', ...options });
    expect(pixels).toBeInstanceOf(Float32Array);
    expect(Array.from(pixels)).toEqual(Array.from(prepareImage(bytes, 'stripes.png', options)));
  });

  it('reports an image that cannot be decoded as a DatasetError with the decoder’s message', async () => {
    const cut = new Uint8Array(stripesPng(20)).subarray(0, 60);
    const decoding = pool.decode({ bytes: cut, source: 'cut.png', width: 8, height: 8, normalization: null });
    await expect(decoding).rejects.toThrow(DatasetError);
    await expect(decoding).rejects.toThrow('Cannot decode PNG cut.png: the file is corrupt or truncated.');
  });

  it('accepts 8 images per thread at once and refuses the next until they are done', async () => {
    const task = { bytes: new Uint8Array(stripesPng(64)), source: 'stripes.png', width: 8, height: 8, normalization };
    const accepted = Array.from({ length: 8 }, () => pool.decode(task));
    await expect(pool.decode(task)).rejects.toThrow(ImageDecoderBusyError);
    await expect(pool.decode(task)).rejects.toThrow(
      '8 images are already being decoded or waiting for a thread; try again when they are done.',
    );
    expect((await Promise.all(accepted)).map((pixels) => pixels.length)).toEqual(new Array(8).fill(8 * 8 * 3));
    expect(await pool.decode(task)).toHaveLength(8 * 8 * 3);
  });

  it('refuses images once closed, and closes when it never started', async () => {
    const unused = new ImageDecoderPool(1);
    await unused.close();
    await expect(
      unused.decode({
        bytes: new Uint8Array(stripesPng(4)),
        source: 'x.png',
        width: 2,
        height: 2,
        normalization: null,
      }),
    ).rejects.toThrow('The image decoder pool is closed: the API is stopping.');
  });
});
