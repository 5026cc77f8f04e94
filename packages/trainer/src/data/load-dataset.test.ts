import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCifar10Binary } from './cifar10-binary.js';
import { DatasetError } from './image-dataset.js';
import { loadDataset } from './load-dataset.js';
import { makeSyntheticDataset } from './synthetic-dataset.js';

async function writePng(file: string, value: number): Promise<void> {
  const png = new PNG({ width: 2, height: 2 });
  png.data.fill(value);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, PNG.sync.write(png));
}

const ACCEPTED =
  "Accepted: 'synthetic'; a CIFAR-10 binary directory (batches.meta.txt, data_batch_1.bin ... data_batch_5.bin, " +
  'test_batch.bin, directly or in cifar-10-batches-bin/); or an image folder (<dir>/<class>/*.png|*.jpg, or ' +
  '<dir>/train/<class>/... with an optional <dir>/test/<class>/...).';

let directory: string;
beforeEach(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'load-dataset-'));
});
afterEach(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('loadDataset', () => {
  it("makes the synthetic dataset for 'synthetic'", async () => {
    const options = { classes: 4, trainCount: 8, testCount: 4, imageSize: 8, seed: 1 };
    expect(await loadDataset('synthetic', options)).toEqual({
      ...makeSyntheticDataset(options),
      format: 'synthetic',
      location: 'synthetic',
    });
  });

  it('reads a CIFAR-10 binary directory, optionally the first N images of each class', async () => {
    const splits = makeSyntheticDataset({ classes: 2, trainCount: 10, testCount: 4 });
    await writeCifar10Binary(path.join(directory, 'cifar-10-batches-bin'), splits);
    const loaded = await loadDataset(directory);
    expect(loaded).toEqual({ ...splits, format: 'cifar10-binary', location: directory });

    const limited = await loadDataset(directory, { limitPerClass: 1 });
    expect([limited.train.count, limited.test.count]).toEqual([2, 2]);
    // The first image of each class, in dataset order.
    const kept = [0, 1].map((label) => splits.train.labels.indexOf(label)).sort((a, b) => a - b);
    expect(Array.from(limited.train.labels)).toEqual(kept.map((index) => splits.train.labels[index]));
    expect(limited.train.images).toEqual(
      Uint8Array.from(kept.flatMap((index) => [...splits.train.images.subarray(index * 3072, (index + 1) * 3072)])),
    );

    await expect(loadDataset(directory, { imageSize: 64 })).rejects.toThrow(
      `CIFAR-10 binary images are 32x32: imageSize 64 is not supported for ${directory}.`,
    );
  });

  it('reads train/ and test/ subfolders as the two splits', async () => {
    await writePng(path.join(directory, 'train', 'a', '1.png'), 10);
    await writePng(path.join(directory, 'train', 'b', '1.png'), 20);
    await writePng(path.join(directory, 'test', 'a', '1.png'), 30);
    await writePng(path.join(directory, 'test', 'b', '1.png'), 40);
    const loaded = await loadDataset(directory, { imageSize: 2 });
    expect([loaded.format, loaded.location, loaded.train.count, loaded.test.count]).toEqual([
      'image-folder',
      directory,
      2,
      2,
    ]);
    expect([loaded.test.images[0], loaded.test.images[12]]).toEqual([30, 40]);
  });

  it('holds out a fraction of train/ when there is no test/, and of a plain class folder', async () => {
    for (let index = 0; index < 4; index++) await writePng(path.join(directory, 'train', 'a', `${index}.png`), index);
    const withTrain = await loadDataset(directory, { imageSize: 2, testFraction: 0.25 });
    expect([withTrain.train.count, withTrain.test.count]).toEqual([3, 1]);

    const plain = await loadDataset(path.join(directory, 'train'), { imageSize: 2, testFraction: 0.5 });
    expect([plain.format, plain.train.count, plain.test.count]).toEqual(['image-folder', 2, 2]);
  });

  it('says which formats are accepted when the location does not exist or is a file', async () => {
    const missing = path.join(directory, 'cifar10');
    await expect(loadDataset(missing)).rejects.toThrow(
      new DatasetError(`Dataset location ${missing} does not exist. ${ACCEPTED}`),
    );
    const file = path.join(directory, 'cifar-10-binary.tar.gz');
    await fs.writeFile(file, '');
    await expect(loadDataset(file)).rejects.toThrow(`Dataset location ${file} is not a directory. ${ACCEPTED}`);
  });
});
