import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkCifar10BinaryDirectory,
  hasCompleteCifar10Binary,
  isCifar10BinaryDirectory,
  readCifar10Binary,
  readCifar10Samples,
  writeCifar10Binary,
} from './cifar10-binary.js';
import { DatasetError, type DatasetSplits, type ImageDataset } from './image-dataset.js';

const CLASS_NAMES = ['airplane', 'automobile', 'bird'];

/** Images whose every byte depends on (image, pixel, channel), so any layout mistake changes the bytes. */
function makeSplit(count: number, labelOffset = 0): ImageDataset {
  const images = new Uint8Array(count * 32 * 32 * 3);
  for (let index = 0; index < images.length; index++) images[index] = (index * 7 + (index >> 10)) % 256;
  const labels = Int32Array.from({ length: count }, (_, index) => (index + labelOffset) % CLASS_NAMES.length);
  return { classNames: CLASS_NAMES, images, labels, count, height: 32, width: 32 };
}

let directory: string;
beforeEach(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cifar10-binary-'));
});
afterEach(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('readCifar10Binary', () => {
  it('converts planar records (label, 1024 R, 1024 G, 1024 B) to channels-last images', async () => {
    const record = new Uint8Array(3073);
    record[0] = 2;
    for (let pixel = 0; pixel < 1024; pixel++) {
      record[1 + pixel] = pixel % 256; // red
      record[1 + 1024 + pixel] = 255 - (pixel % 256); // green
      record[1 + 2048 + pixel] = pixel >> 2; // blue
    }
    await fs.writeFile(path.join(directory, 'batches.meta.txt'), 'airplane\r\n\r\nautomobile\nbird\n\n');
    await fs.writeFile(path.join(directory, 'data_batch_1.bin'), Buffer.concat([record, record]));
    await fs.writeFile(path.join(directory, 'test_batch.bin'), record);

    const { train, test } = await readCifar10Binary(directory);
    expect(train.classNames).toEqual(CLASS_NAMES);
    expect([train.count, train.height, train.width, test.count]).toEqual([2, 32, 32, 1]);
    expect(Array.from(train.labels)).toEqual([2, 2]);
    // Pixel (row 1, column 3) is planar index 35.
    const offset = (1 * 32 + 3) * 3;
    expect(Array.from(test.images.subarray(offset, offset + 3))).toEqual([35, 220, 8]);
    expect(Array.from(train.images.subarray(32 * 32 * 3 + offset, 32 * 32 * 3 + offset + 3))).toEqual([35, 220, 8]);
  });

  it('reads back exactly what writeCifar10Binary wrote, over the requested number of training files', async () => {
    const splits: DatasetSplits = { train: makeSplit(7), test: makeSplit(2, 1) };
    await writeCifar10Binary(directory, splits, { trainFiles: 3 });

    const files = (await fs.readdir(directory)).sort();
    expect(files).toEqual([
      'batches.meta.txt',
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'test_batch.bin',
    ]);
    const sizes = await Promise.all(
      files.slice(1).map(async (file) => (await fs.stat(path.join(directory, file))).size),
    );
    expect(sizes).toEqual([2 * 3073, 2 * 3073, 3 * 3073, 2 * 3073]);
    expect(await readCifar10Binary(directory)).toEqual(splits);
  });

  it('accepts the folder that contains the archive’s cifar-10-batches-bin/', async () => {
    const splits: DatasetSplits = { train: makeSplit(5), test: makeSplit(1) };
    await writeCifar10Binary(path.join(directory, 'cifar-10-batches-bin'), splits);
    expect(await readCifar10Binary(directory)).toEqual(splits);
    expect(await isCifar10BinaryDirectory(directory)).toBe(true);
    expect(await hasCompleteCifar10Binary(directory)).toBe(true);
  });

  it('names the missing files and lists the expected ones', async () => {
    await writeCifar10Binary(directory, { train: makeSplit(5), test: makeSplit(1) });
    await fs.rm(path.join(directory, 'test_batch.bin'));
    await fs.rm(path.join(directory, 'data_batch_2.bin'));
    await expect(readCifar10Binary(directory)).rejects.toThrow(
      new DatasetError(
        `No complete CIFAR-10 binary dataset at ${directory}: missing test_batch.bin, data_batch_2.bin. Expected ` +
          'batches.meta.txt, data_batch_1.bin ... data_batch_5.bin and test_batch.bin (directly or in a ' +
          'cifar-10-batches-bin/ subfolder).',
      ),
    );
    expect(await hasCompleteCifar10Binary(directory)).toBe(false);
  });

  it('rejects a file whose size is not a positive multiple of 3,073 bytes', async () => {
    await writeCifar10Binary(directory, { train: makeSplit(5), test: makeSplit(1) });
    const testFile = path.join(directory, 'test_batch.bin');
    await fs.appendFile(testFile, Buffer.from([0]));
    await expect(readCifar10Binary(directory)).rejects.toThrow(
      `${testFile} holds 3074 bytes, which is not a positive multiple of the 3073-byte CIFAR-10 record ` +
        '(1 label byte + 3,072 pixel bytes).',
    );
    await fs.writeFile(testFile, '');
    await expect(readCifar10Binary(directory)).rejects.toThrow(`${testFile} holds 0 bytes`);
  });

  it('rejects a label beyond the class names, naming the file and record', async () => {
    await writeCifar10Binary(directory, { train: makeSplit(5), test: makeSplit(1) }, { trainFiles: 1 });
    const file = path.join(directory, 'data_batch_1.bin');
    const bytes = await fs.readFile(file);
    bytes[3073] = 3;
    await fs.writeFile(file, bytes);
    await expect(readCifar10Binary(directory)).rejects.toThrow(
      `${file} record 1 has label 3, but batches.meta.txt lists 3 classes (labels 0 to 2).`,
    );
  });

  it('rejects a directory that does not exist', async () => {
    const missing = path.join(directory, 'nope');
    await expect(readCifar10Binary(missing)).rejects.toThrow(
      `No CIFAR-10 binary dataset at ${missing}: the directory does not exist.`,
    );
    expect(await isCifar10BinaryDirectory(missing)).toBe(false);
  });
});

describe('readCifar10Samples', () => {
  it('reads the first records of the first training file only, from the archive subfolder too', async () => {
    const train = makeSplit(7);
    await writeCifar10Binary(
      path.join(directory, 'cifar-10-batches-bin'),
      { train, test: makeSplit(2, 1) },
      {
        trainFiles: 2,
      },
    );
    const samples = await readCifar10Samples(directory, 2);
    expect([samples.count, samples.height, samples.width, Array.from(samples.labels)]).toEqual([2, 32, 32, [0, 1]]);
    expect(samples.classNames).toEqual(CLASS_NAMES);
    expect(samples.images).toEqual(train.images.subarray(0, 2 * 32 * 32 * 3));
    // data_batch_1.bin holds the first 3 of the 7 training images: no more than that comes back.
    expect((await readCifar10Samples(directory, 100)).count).toBe(3);
    await expect(readCifar10Samples(directory, 0)).rejects.toThrow('Expected limit to be a positive integer, got 0.');
  });
});

describe('isCifar10BinaryDirectory', () => {
  it('recognises any file of the release, so that the reader can name what is missing', async () => {
    expect(await isCifar10BinaryDirectory(directory)).toBe(false);
    await fs.mkdir(path.join(directory, 'cat'));
    expect(await isCifar10BinaryDirectory(directory)).toBe(false);
    await fs.writeFile(path.join(directory, 'batches.meta.txt'), 'cat\n');
    expect(await isCifar10BinaryDirectory(directory)).toBe(true);
  });
});

describe('checkCifar10BinaryDirectory', () => {
  const BATCH_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin'];
  const FULL_SIZE = 10_000 * 3073;

  /** The official release's files at their official sizes, sparse so that they take no disk space. */
  async function writeRelease(folder: string): Promise<void> {
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'batches.meta.txt'), 'airplane\nautomobile\n');
    for (const file of [...BATCH_FILES, 'data_batch_5.bin', 'test_batch.bin']) {
      await fs.writeFile(path.join(folder, file), '');
      await fs.truncate(path.join(folder, file), FULL_SIZE);
    }
  }

  it('accepts the complete release, directly or in cifar-10-batches-bin/', async () => {
    await writeRelease(directory);
    expect(await checkCifar10BinaryDirectory(directory)).toBeNull();
    const parent = path.join(directory, 'parent');
    await writeRelease(path.join(parent, 'cifar-10-batches-bin'));
    expect(await checkCifar10BinaryDirectory(parent)).toBeNull();
  });

  it('names each batch file that is not 10,000 records, with its size', async () => {
    await writeRelease(directory);
    await fs.writeFile(path.join(directory, 'test_batch.bin'), '');
    expect(await checkCifar10BinaryDirectory(directory)).toBe(
      `${directory} is not the complete CIFAR-10 binary release: test_batch.bin holds 0 bytes; each batch file ` +
        'holds 10,000 records of 3,073 bytes (30,730,000 bytes).',
    );
    await fs.truncate(path.join(directory, 'data_batch_5.bin'), FULL_SIZE + 3073);
    expect(await checkCifar10BinaryDirectory(directory)).toBe(
      `${directory} is not the complete CIFAR-10 binary release: data_batch_5.bin holds 30,733,073 bytes, ` +
        'test_batch.bin holds 0 bytes; each batch file holds 10,000 records of 3,073 bytes (30,730,000 bytes).',
    );
  });

  it('names the missing files, an empty class list and a directory that is not there', async () => {
    await fs.writeFile(path.join(directory, 'test_batch.bin'), '');
    expect(await checkCifar10BinaryDirectory(directory)).toBe(
      `No complete CIFAR-10 binary dataset at ${directory}: missing batches.meta.txt, data_batch_1.bin, ` +
        'data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin. Expected batches.meta.txt, ' +
        'data_batch_1.bin ... data_batch_5.bin and test_batch.bin (directly or in a cifar-10-batches-bin/ subfolder).',
    );
    await writeRelease(directory);
    await fs.writeFile(path.join(directory, 'batches.meta.txt'), '');
    expect(await checkCifar10BinaryDirectory(directory)).toBe(
      `${path.join(directory, 'batches.meta.txt')} is empty: expected the 10 class names, one per line.`,
    );
    const missing = path.join(directory, 'nope');
    expect(await checkCifar10BinaryDirectory(missing)).toBe(`${missing} does not exist or is not a directory.`);
  });

  it('does not take a folder for a file', async () => {
    await writeRelease(directory);
    await fs.rm(path.join(directory, 'test_batch.bin'));
    await fs.mkdir(path.join(directory, 'test_batch.bin'));
    expect(await checkCifar10BinaryDirectory(directory)).toMatch(/: missing test_batch\.bin\. Expected /);
  });
});

describe('writeCifar10Binary', () => {
  it('refuses images that are not 32x32 and empty files', async () => {
    const small = { ...makeSplit(1), height: 16, width: 16 };
    await expect(writeCifar10Binary(directory, { train: small, test: makeSplit(1) })).rejects.toThrow(
      'CIFAR-10 binary images are 32x32, but the train split holds 16x16 images.',
    );
    await expect(writeCifar10Binary(directory, { train: makeSplit(3), test: makeSplit(1) })).rejects.toThrow(
      'Expected trainFiles to be an integer from 1 to the 3 training images (no file may be empty), got 5.',
    );
  });
});
