import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError, type ImageDataset } from './image-dataset.js';
import { loadImageFolder } from './image-folder.js';

/** A PNG filled with one colour. */
function solidPng(width: number, height: number, [red, green, blue]: readonly number[]): Buffer {
  const png = new PNG({ width, height });
  for (let pixel = 0; pixel < width * height; pixel++) png.data.set([red!, green!, blue!, 255], pixel * 4);
  return PNG.sync.write(png, { colorType: 2 });
}

/** Writes `files` ({ 'cat/1.png': [r, g, b] }) under `root` as 4x4 single-colour PNGs. */
async function writeFolder(root: string, files: Record<string, readonly number[]>): Promise<void> {
  for (const [name, colour] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fs.writeFile(path.join(root, name), solidPng(4, 4, colour));
  }
}

/** The first pixel of every image: enough to tell which file each image came from. */
function firstPixels(dataset: ImageDataset): number[][] {
  const imageBytes = dataset.height * dataset.width * 3;
  return Array.from({ length: dataset.count }, (_, index) =>
    Array.from(dataset.images.subarray(index * imageBytes, index * imageBytes + 3)),
  );
}

let directory: string;
let root: string;
beforeEach(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'image-folder-'));
  root = path.join(directory, 'images');
});
afterEach(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('loadImageFolder', () => {
  it('labels sorted class folders 0...n-1 and holds out the last files of each class', async () => {
    await writeFolder(root, {
      'dog/a.png': [1, 0, 0],
      'dog/b.PNG': [2, 0, 0],
      'dog/c.png': [3, 0, 0],
      'dog/d.png': [4, 0, 0],
      'cat/x.png': [10, 0, 0],
      'cat/y.png': [11, 0, 0],
      'Zebra/z.png': [20, 0, 0],
      'Zebra/notes.txt': [0, 0, 0],
      'Zebra/.hidden.png': [0, 0, 0],
    });
    const { train, test } = await loadImageFolder(root, { imageSize: 4, testFraction: 0.3 });

    // Code-point order puts capitals first: Zebra, cat, dog.
    expect(train.classNames).toEqual(['Zebra', 'cat', 'dog']);
    // round(0.3 * 4) = 1, round(0.3 * 2) = 1, round(0.3 * 1) = 0 test images per class.
    expect(firstPixels(train)).toEqual([
      [20, 0, 0],
      [10, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
      [3, 0, 0],
    ]);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 2, 2]);
    expect(firstPixels(test)).toEqual([
      [11, 0, 0],
      [4, 0, 0],
    ]);
    expect(Array.from(test.labels)).toEqual([1, 2]);
    expect([train.count, train.height, train.width, train.images.length]).toEqual([5, 4, 4, 5 * 4 * 4 * 3]);
  });

  it('takes the first limitPerClass files before splitting, and resizes to imageSize', async () => {
    await writeFolder(root, {
      'a/1.png': [1, 1, 1],
      'a/2.png': [2, 2, 2],
      'a/3.png': [3, 3, 3],
      'b/1.png': [4, 4, 4],
    });
    const { train, test } = await loadImageFolder(root, { imageSize: 2, limitPerClass: 2, testFraction: 0.4 });
    expect(firstPixels(train)).toEqual([
      [1, 1, 1],
      [4, 4, 4],
    ]);
    expect(firstPixels(test)).toEqual([[2, 2, 2]]);
    expect(Array.from(train.images)).toEqual([...Array<number>(12).fill(1), ...Array<number>(12).fill(4)]);
  });

  it('accepts JPEGs with any extension case and a testFraction of 0', async () => {
    const rgba = new Uint8Array(4 * 4 * 4).fill(255);
    await fs.mkdir(path.join(root, 'white'), { recursive: true });
    await fs.writeFile(path.join(root, 'white', 'a.JPeG'), jpeg.encode({ width: 4, height: 4, data: rgba }, 95).data);
    await fs.writeFile(path.join(root, 'white', 'b.jpg'), jpeg.encode({ width: 4, height: 4, data: rgba }, 95).data);
    const { train, test } = await loadImageFolder(root, { imageSize: 4, testFraction: 0 });
    expect([train.count, test.count]).toEqual([2, 0]);
    expect(Math.min(...train.images)).toBeGreaterThanOrEqual(250);
  });

  it('uses testRoot whole as the test split and requires the same classes', async () => {
    await writeFolder(root, { 'a/1.png': [1, 0, 0], 'b/1.png': [2, 0, 0] });
    const testRoot = path.join(directory, 'test');
    await writeFolder(testRoot, { 'a/9.png': [9, 0, 0], 'b/8.png': [8, 0, 0], 'b/7.png': [7, 0, 0] });
    const { train, test } = await loadImageFolder(root, { imageSize: 4, testRoot });
    expect(firstPixels(train)).toEqual([
      [1, 0, 0],
      [2, 0, 0],
    ]);
    expect(firstPixels(test)).toEqual([
      [9, 0, 0],
      [7, 0, 0],
      [8, 0, 0],
    ]);
    expect(Array.from(test.labels)).toEqual([0, 1, 1]);

    await writeFolder(testRoot, { 'c/1.png': [0, 0, 0] });
    await expect(loadImageFolder(root, { imageSize: 4, testRoot })).rejects.toThrow(
      `Test folder ${testRoot} has the classes [a, b, c], but ${root} has [a, b]: both must hold the same class ` +
        'subfolders.',
    );
  });

  it('reads the cache on a second load instead of decoding again', async () => {
    await writeFolder(root, { 'a/1.png': [1, 2, 3], 'b/1.png': [4, 5, 6] });
    const file = path.join(root, 'a', '1.png');
    // Whole seconds, so that restoring the time below restores it exactly on every file system.
    const mtime = new Date('2024-01-02T03:04:05Z');
    await fs.utimes(file, mtime, mtime);
    const cacheDirectory = path.join(directory, 'cache');
    const first = await loadImageFolder(root, { imageSize: 4, testFraction: 0, cacheDirectory });
    const cacheFiles = await fs.readdir(cacheDirectory);
    expect(cacheFiles).toEqual([expect.stringMatching(/^image-folder-[0-9a-f]{32}\.bin$/)]);

    // Same size and mtime, different pixels: only a load that trusts the cache still sees the old colour.
    await fs.writeFile(file, solidPng(4, 4, [7, 8, 9]));
    await fs.utimes(file, mtime, mtime);
    const second = await loadImageFolder(root, { imageSize: 4, testFraction: 0, cacheDirectory });
    expect(second).toEqual(first);

    await fs.utimes(file, new Date(mtime.getTime() + 5000), new Date(mtime.getTime() + 5000));
    const third = await loadImageFolder(root, { imageSize: 4, testFraction: 0, cacheDirectory });
    expect(firstPixels(third.train)).toEqual([
      [7, 8, 9],
      [4, 5, 6],
    ]);
    // Other options are other cache entries.
    await loadImageFolder(root, { imageSize: 2, testFraction: 0, cacheDirectory });
    expect(await fs.readdir(cacheDirectory)).toHaveLength(3);
  });

  it('writes nothing into the image folder: without cacheDirectory it caches nowhere', async () => {
    await writeFolder(root, { 'a/1.png': [1, 2, 3], 'b/1.png': [4, 5, 6] });
    const decoded: number[] = [];
    for (let load = 0; load < 2; load++) {
      await loadImageFolder(root, { imageSize: 4, testFraction: 0, onProgress: (images) => decoded.push(images) });
    }
    // Decoded both times, and the folder holds what was written, nothing more.
    expect(decoded).toEqual([2, 2]);
    expect((await fs.readdir(root, { recursive: true })).sort()).toEqual(['a', 'a/1.png', 'b', 'b/1.png']);
    expect(await fs.readdir(directory)).toEqual(['images']);
  });

  it('loads without a cache where cacheDirectory cannot be written', async () => {
    await writeFolder(root, { 'a/1.png': [1, 2, 3] });
    // A cache path below a regular file fails on every system, whoever runs the test.
    const blocked = path.join(directory, 'a-file', 'cache');
    await fs.writeFile(path.join(directory, 'a-file'), '');
    const errors: Error[] = [];
    const loaded = await loadImageFolder(root, {
      imageSize: 4,
      testFraction: 0,
      cacheDirectory: blocked,
      onCacheWriteError: (error) => errors.push(error),
    });
    expect(firstPixels(loaded.train)).toEqual([[1, 2, 3]]);
    expect(errors.map((error) => error.message)).toEqual([
      `Cannot write the image cache in ${blocked}; loading without it.`,
    ]);
  });

  it.skipIf(process.getuid?.() === 0)('loads and caches a read-only folder', async () => {
    await writeFolder(root, { 'a/1.png': [1, 2, 3] });
    await fs.chmod(root, 0o555);
    const cacheDirectory = path.join(directory, 'cache');
    try {
      const loaded = await loadImageFolder(root, { imageSize: 4, testFraction: 0, cacheDirectory });
      expect(loaded.train.count).toBe(1);
      expect(await fs.readdir(cacheDirectory)).toHaveLength(1);
    } finally {
      await fs.chmod(root, 0o755);
    }
  });

  it.each([
    [{ testFraction: 0.95 }, 'Expected testFraction to be a number from 0 to 0.9, got 0.95.'],
    [{ imageSize: 0 }, 'Expected imageSize to be an integer from 1 to 1024, got 0.'],
    [{ limitPerClass: 1.5 }, 'Expected limitPerClass to be a positive integer, got 1.5.'],
  ])('rejects the options %j', async (options, message) => {
    await writeFolder(root, { 'a/1.png': [1, 2, 3] });
    await expect(loadImageFolder(root, options)).rejects.toThrow(new DatasetError(message));
  });

  it('names the folder or file that is wrong', async () => {
    await expect(loadImageFolder(root)).rejects.toThrow(
      `Image folder ${root} does not exist: expected <class>/*.png, *.jpg or *.jpeg (one subfolder per class).`,
    );
    await fs.mkdir(root);
    await fs.writeFile(path.join(root, 'loose.png'), solidPng(1, 1, [0, 0, 0]));
    await expect(loadImageFolder(root)).rejects.toThrow(
      `Image folder ${root} has no class subfolders: expected <class>/*.png, *.jpg or *.jpeg (one subfolder per class).`,
    );
    await fs.mkdir(path.join(root, 'empty'));
    await expect(loadImageFolder(root)).rejects.toThrow(
      `Class folder ${path.join(root, 'empty')} holds no images: expected *.png, *.jpg or *.jpeg files.`,
    );
    await writeFolder(root, { 'empty/1.png': [0, 0, 0] });
    await fs.writeFile(path.join(root, 'empty', '2.png'), 'not an image');
    await expect(loadImageFolder(root)).rejects.toThrow(
      `Unsupported image format in ${path.join(root, 'empty', '2.png')}: expected PNG or JPEG, but its first bytes ` +
        'are 6e 6f 74 20.',
    );
  });
});

describe('loadImageFolder on the CIFAR-10 JPEGs of ../shared/datasets', () => {
  const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
  const archive = path.resolve(repositoryRoot, '../shared/datasets/cifar10-train-jpg.tar.gz');

  it('reads 10 classes in the official label order, 5 images each, and caches them', async () => {
    execFileSync('tar', ['-xzf', archive, '-C', directory, '--wildcards', 'train/*/000[0-4].jpg']);
    const trainRoot = path.join(directory, 'train');
    const cacheDirectory = path.join(directory, 'cache');
    const first = await loadImageFolder(trainRoot, { testFraction: 0.2, cacheDirectory });

    const classNames = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
    expect(first.train.classNames).toEqual(classNames);
    expect([first.train.count, first.test.count, first.train.height, first.train.width]).toEqual([40, 10, 32, 32]);
    expect(Array.from(first.test.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(first.train.labels)).toEqual(classNames.flatMap((_, label) => [label, label, label, label]));
    // Real photographs: a wide range of bytes, and no image blank.
    expect(Math.min(...first.train.images)).toBeLessThan(20);
    expect(Math.max(...first.train.images)).toBeGreaterThan(235);
    const imageBytes = 32 * 32 * 3;
    for (let index = 0; index < first.train.count; index++) {
      const pixels = first.train.images.subarray(index * imageBytes, (index + 1) * imageBytes);
      expect(Math.max(...pixels) - Math.min(...pixels)).toBeGreaterThan(50);
    }

    expect(await fs.readdir(cacheDirectory)).toHaveLength(1);
    const progress: number[] = [];
    const second = await loadImageFolder(trainRoot, {
      testFraction: 0.2,
      cacheDirectory,
      onProgress: (done) => progress.push(done),
    });
    expect(progress).toEqual([]);
    expect(second).toEqual(first);
  });
});
