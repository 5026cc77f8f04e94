// previewDataset through whole GraphQL operations: classes, images per split and per class, and thumbnails that are
// 64x64 PNGs of the right images, with registerDataset's path checks and errors; the download command of a built-in
// dataset that is not on disk; and the synthetic sizes under the names Dataset reads them back with.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../test-support/test-api.js';
import { cifar10DownloadCommand } from './services/dataset-service.js';

let test: TestApi;
/** Holds the roots and, outside them, what the API must not read. */
let outside: string;
let rootA: string;
let rootB: string;

beforeAll(async () => {
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'dataset-preview-'));
  rootA = path.join(outside, 'root-a');
  rootB = path.join(outside, 'root-b');
  await fs.mkdir(rootA);
  await fs.mkdir(rootB);
  test = await startTestApi({ DATASET_ROOTS: [rootA, rootB].join(path.delimiter) });
});
afterAll(async () => {
  await test?.close();
  await fs.rm(outside, { recursive: true, force: true });
});

const PREVIEW = `mutation($input: PreviewDatasetInput!) {
  previewDataset(input: $input) {
    format location classNames trainSize testSize imageSize
    classes { className trainSize testSize }
    thumbnails { className file sourceWidth sourceHeight dataUrl }
  }
}`;

interface Thumbnail {
  className: string;
  file: string | null;
  sourceWidth: number;
  sourceHeight: number;
  dataUrl: string;
}
interface Preview {
  format: string;
  location: string;
  classNames: string[];
  trainSize: number;
  testSize: number | null;
  imageSize: number | null;
  classes: { className: string; trainSize: number; testSize: number | null }[];
  thumbnails: Thumbnail[];
}

async function preview(input: Record<string, unknown>) {
  const result = await test.execute<{ previewDataset: Preview }>(PREVIEW, { input });
  return {
    data: result.data?.previewDataset ?? null,
    errors: result.errors?.map((error) => ({ message: error.message, extensions: error.extensions })),
  };
}

/** A PNG of `width` x `height` pixels of one colour. */
function solidPng(width: number, height: number, [red, green, blue]: readonly number[]): Buffer {
  const png = new PNG({ width, height });
  for (let pixel = 0; pixel < width * height; pixel++) png.data.set([red!, green!, blue!, 255], pixel * 4);
  return PNG.sync.write(png);
}

/** Writes `files` ({ 'cat/1.png': [width, height, r, g, b] }) under `root`; a string is written as it is. */
async function writeFiles(root: string, files: Record<string, readonly number[] | string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    const bytes = typeof content === 'string' ? content : solidPng(content[0]!, content[1]!, content.slice(2));
    await fs.writeFile(path.join(root, name), bytes);
  }
}

/** A thumbnail's PNG: its size, and its colour when every pixel has the same one (else null). */
function thumbnailImage(dataUrl: string): { width: number; height: number; colour: number[] | null } {
  const prefix = 'data:image/png;base64,';
  expect(dataUrl.startsWith(prefix)).toBe(true);
  const png = PNG.sync.read(Buffer.from(dataUrl.slice(prefix.length), 'base64'));
  const first = Array.from(png.data.subarray(0, 4));
  let solid = true;
  for (let offset = 0; offset < png.data.length; offset += 4) {
    if (png.data.subarray(offset, offset + 4).some((value, channel) => value !== first[channel])) solid = false;
  }
  return { width: png.width, height: png.height, colour: solid ? first.slice(0, 3) : null };
}

/** The thumbnails with their data URLs replaced by what their PNGs hold. */
function described(thumbnails: readonly Thumbnail[]) {
  return thumbnails.map(({ dataUrl, ...rest }) => ({ ...rest, image: thumbnailImage(dataUrl) }));
}

describe('previewDataset of an image folder', () => {
  it('answers classes, images per split and per class, and 64x64 thumbnails taken a class at a time', async () => {
    const location = path.join(rootA, 'pets');
    await writeFiles(location, {
      'train/cat/1.png': [8, 8, 200, 10, 10],
      'train/cat/2.png': [16, 8, 210, 20, 20],
      'train/cat/3.png': [8, 8, 220, 30, 30],
      'train/dog/1.png': [12, 6, 10, 200, 10],
      'train/dog/2.png': [6, 12, 20, 210, 20],
      'train/dog/notes.txt': 'not an image',
      'test/cat/1.png': [8, 8, 1, 2, 3],
      'test/dog/1.png': [8, 8, 4, 5, 6],
      'test/dog/2.png': [8, 8, 7, 8, 9],
    });
    const { data, errors } = await preview({ format: 'IMAGE_FOLDER', location: 'pets' });
    expect(errors).toBeUndefined();
    expect({ ...data, thumbnails: described(data!.thumbnails) }).toEqual({
      format: 'IMAGE_FOLDER',
      location,
      classNames: ['cat', 'dog'],
      trainSize: 5,
      testSize: 3,
      imageSize: null,
      classes: [
        { className: 'cat', trainSize: 3, testSize: 1 },
        { className: 'dog', trainSize: 2, testSize: 2 },
      ],
      thumbnails: [
        ['cat', 'train/cat/1.png', 8, 8, [200, 10, 10]],
        ['dog', 'train/dog/1.png', 12, 6, [10, 200, 10]],
        ['cat', 'train/cat/2.png', 16, 8, [210, 20, 20]],
        ['dog', 'train/dog/2.png', 6, 12, [20, 210, 20]],
        ['cat', 'train/cat/3.png', 8, 8, [220, 30, 30]],
      ].map(([className, file, sourceWidth, sourceHeight, colour]) => ({
        className,
        file: path.join(location, file as string),
        sourceWidth,
        sourceHeight,
        image: { width: 64, height: 64, colour },
      })),
    });

    // Nothing was recorded: registerDataset records the same shape.
    const datasets = await test.execute<{ datasets: { name: string }[] }>(`{ datasets { name } }`);
    expect(datasets.data!.datasets.map((dataset) => dataset.name)).toEqual(['cifar10', 'synthetic']);
    const registered = await test.execute(
      `mutation { registerDataset(input: { name: "pets", format: IMAGE_FOLDER, location: "pets" }) {
        location classNames trainSize testSize imageSize } }`,
    );
    expect(registered.data).toEqual({
      registerDataset: { location, classNames: ['cat', 'dog'], trainSize: 5, testSize: 3, imageSize: null },
    });
  });

  it('decodes 8 images at most: the files after them are not read', async () => {
    const location = path.join(rootB, 'letters');
    const files: Record<string, readonly number[] | string> = {};
    for (const [label, className] of ['a', 'b', 'c'].entries()) {
      for (const number of [1, 2, 3]) files[`${className}/${number}.png`] = [4, 4, 10 * label, number, 0];
      files[`${className}/4.png`] = 'not an image';
    }
    // The ninth in turn: after a/3.png and b/3.png.
    files['c/3.png'] = 'not an image';
    await writeFiles(location, files);
    const { data, errors } = await preview({ format: 'IMAGE_FOLDER', location });
    expect(errors).toBeUndefined();
    expect([data!.trainSize, data!.testSize, data!.classes]).toEqual([
      12,
      null,
      ['a', 'b', 'c'].map((className) => ({ className, trainSize: 4, testSize: null })),
    ]);
    expect(
      described(data!.thumbnails).map(({ file, image }) => [path.relative(location, file!), image.colour]),
    ).toEqual([
      ['a/1.png', [0, 1, 0]],
      ['b/1.png', [10, 1, 0]],
      ['c/1.png', [20, 1, 0]],
      ['a/2.png', [0, 2, 0]],
      ['b/2.png', [10, 2, 0]],
      ['c/2.png', [20, 2, 0]],
      ['a/3.png', [0, 3, 0]],
      ['b/3.png', [10, 3, 0]],
    ]);
  });

  it('passes over an image larger than 2000x2000 pixels for the next file, without decoding it', async () => {
    const location = path.join(rootA, 'posters');
    await writeFiles(location, { 'a/2.png': [2, 2, 6, 6, 6], 'b/1.png': [3, 3, 7, 7, 7] });
    // Its header alone, saying 2001x2000: decoding it would fail.
    const header = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header);
    header.writeUInt32BE(13, 8);
    header.write('IHDR', 12, 'latin1');
    header.writeUInt32BE(2001, 16);
    header.writeUInt32BE(2000, 20);
    header.set([8, 2, 0, 0, 0], 24);
    await fs.writeFile(path.join(location, 'a/1.png'), header);
    const { data, errors } = await preview({ format: 'IMAGE_FOLDER', location });
    expect(errors).toBeUndefined();
    expect(described(data!.thumbnails).map(({ file, sourceWidth, image }) => [file, sourceWidth, image])).toEqual([
      [path.join(location, 'b/1.png'), 3, { width: 64, height: 64, colour: [7, 7, 7] }],
      [path.join(location, 'a/2.png'), 2, { width: 64, height: 64, colour: [6, 6, 6] }],
    ]);
  });
});

describe('previewDataset errors', () => {
  const roots = () => `${rootA}, ${rootB}`;

  it('lists the roots it takes locations under, in order, for clients to say where a folder must be', async () => {
    expect((await test.execute(`{ datasetRoots }`)).data).toEqual({ datasetRoots: [rootA, rootB] });
  });

  it('refuses a location outside the roots with FORBIDDEN on location, whether it exists or not', async () => {
    await writeFiles(path.join(outside, 'private'), { 'a/1.png': [4, 4, 0, 0, 0], 'b/1.png': [4, 4, 0, 0, 0] });
    for (const location of [path.join(outside, 'private'), '/nonexistent/photos', '../private']) {
      expect(await preview({ format: 'IMAGE_FOLDER', location })).toEqual({
        data: null,
        errors: [
          {
            message:
              `Expected location to be a directory under DATASET_ROOTS (${roots()}), links resolved; got ` +
              `'${location}'.`,
            extensions: { code: 'FORBIDDEN', field: 'location' },
          },
        ],
      });
    }
  });

  it('names the missing folder, the empty location, a lone class and an image that cannot be decoded', async () => {
    const missing = path.join(rootA, 'not-yet');
    const badInput = (message: string, value: string) => ({
      data: null,
      errors: [{ message, extensions: { code: 'BAD_USER_INPUT', field: 'location', value } }],
    });
    expect(await preview({ format: 'IMAGE_FOLDER', location: missing })).toEqual(
      badInput(
        `${missing} is not an image folder: Dataset location ${missing} does not exist or is not a directory.`,
        missing,
      ),
    );
    expect(await preview({ format: 'CIFAR10_BINARY', location: missing })).toEqual(
      badInput(`${missing} does not exist or is not a directory.`, missing),
    );
    expect(await preview({ format: 'IMAGE_FOLDER', location: ' ' })).toEqual(
      badInput(
        `Expected location to be a directory under DATASET_ROOTS (${roots()}) for format IMAGE_FOLDER, got ''.`,
        '',
      ),
    );

    const lonely = path.join(rootA, 'lonely');
    await writeFiles(lonely, { 'cat/1.png': [4, 4, 0, 0, 0] });
    expect(await preview({ format: 'IMAGE_FOLDER', location: lonely })).toEqual(
      badInput(`${lonely} has 1 class folder; a classifier needs at least 2.`, lonely),
    );

    const broken = path.join(rootA, 'broken');
    await writeFiles(broken, { 'cat/1.png': [4, 4, 0, 0, 0], 'dog/1.png': 'not an image' });
    expect(await preview({ format: 'IMAGE_FOLDER', location: broken })).toEqual(
      badInput(
        `${broken} has an image that training cannot read: Unsupported image format in ${broken}/dog/1.png: ` +
          'expected PNG or JPEG by its first bytes.',
        broken,
      ),
    );
  });

  it('needs the token where API_TOKEN is set, as registerDataset does', async () => {
    const secured = await startTestApi({ API_TOKEN: 'correct-horse-battery', DATASET_ROOTS: rootA });
    try {
      const input = { format: 'SYNTHETIC' };
      const refused = await secured.execute(PREVIEW, { input });
      expect(refused.errors?.map((error) => error.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
      const allowed = await secured.execute<{ previewDataset: Preview }>(
        PREVIEW,
        { input },
        'Bearer correct-horse-battery',
      );
      expect(allowed.data?.previewDataset.trainSize).toBe(1000);
    } finally {
      await secured.close();
    }
  });
});

describe('previewDataset of CIFAR-10 binary files and of a synthetic dataset', () => {
  it('reads the thumbnails from the first records of data_batch_1.bin alone', async () => {
    const location = path.join(rootB, 'cifar');
    const folder = path.join(location, 'cifar-10-batches-bin');
    await fs.mkdir(folder, { recursive: true });
    const classNames = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
    await fs.writeFile(path.join(folder, 'batches.meta.txt'), `${classNames.join('\n')}\n`);
    // Ten records of labels 0 ... 9, each of one colour; the rest of the files are sparse zeros.
    const records = Buffer.alloc(10 * 3073);
    for (let label = 0; label < 10; label++) {
      records[label * 3073] = label;
      records.fill(10 * label, label * 3073 + 1, label * 3073 + 1 + 1024);
      records.fill(100, label * 3073 + 1 + 1024, label * 3073 + 1 + 2048);
      records.fill(200 - label, label * 3073 + 1 + 2048, (label + 1) * 3073);
    }
    for (const file of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
      await fs.writeFile(path.join(folder, `${file}.bin`), file === 'data_batch_1' ? records : '');
      await fs.truncate(path.join(folder, `${file}.bin`), 10_000 * 3073);
    }

    const { data, errors } = await preview({ format: 'CIFAR10_BINARY', location });
    expect(errors).toBeUndefined();
    expect({ ...data, thumbnails: described(data!.thumbnails) }).toEqual({
      format: 'CIFAR10_BINARY',
      location,
      classNames,
      trainSize: 50_000,
      testSize: 10_000,
      imageSize: 32,
      classes: classNames.map((className) => ({ className, trainSize: 5000, testSize: 1000 })),
      thumbnails: classNames.slice(0, 8).map((className, label) => ({
        className,
        file: null,
        sourceWidth: 32,
        sourceHeight: 32,
        image: { width: 64, height: 64, colour: [10 * label, 100, 200 - label] },
      })),
    });
  });

  it('splits a synthetic dataset evenly over its classes and shows two generated images of each', async () => {
    const { data, errors } = await preview({
      format: 'SYNTHETIC',
      synthetic: { classes: 3, trainSize: 10, testSize: 4, imageSize: 16 },
    });
    expect(errors).toBeUndefined();
    expect({
      ...data,
      thumbnails: described(data!.thumbnails).map(({ image, ...rest }) => ({ ...rest, ...image })),
    }).toEqual({
      format: 'SYNTHETIC',
      location: 'synthetic',
      classNames: ['horizontal-stripes', 'vertical-stripes', 'diagonal-stripes'],
      trainSize: 10,
      testSize: 4,
      imageSize: 16,
      classes: [
        { className: 'horizontal-stripes', trainSize: 4, testSize: 2 },
        { className: 'vertical-stripes', trainSize: 3, testSize: 1 },
        { className: 'diagonal-stripes', trainSize: 3, testSize: 1 },
      ],
      thumbnails: [0, 1, 2, 0, 1, 2].map((label) => ({
        className: ['horizontal-stripes', 'vertical-stripes', 'diagonal-stripes'][label],
        file: null,
        sourceWidth: 16,
        sourceHeight: 16,
        width: 64,
        height: 64,
        // Stripes under noise: never one colour.
        colour: null,
      })),
    });

    // Generated no larger than a thumbnail, whatever the dataset's size.
    const large = await preview({ format: 'SYNTHETIC', synthetic: { classes: 10, imageSize: 1024 } });
    expect(large.data!.thumbnails.map((thumbnail) => [thumbnail.sourceWidth, thumbnail.sourceHeight])).toEqual(
      Array.from({ length: 8 }, () => [64, 64]),
    );
    expect(large.data!.imageSize).toBe(1024);
  });
});

describe('a built-in dataset that is not on disk', () => {
  it('says where its files must go and the command that downloads them there, until they are there', async () => {
    const location = path.join(test.dataDir, 'cifar10');
    const query = `{ dataset(name: "cifar10") { location available unavailableReason downloadCommand } }`;
    expect((await test.execute(query)).data).toEqual({
      dataset: {
        location,
        available: false,
        unavailableReason:
          `${location} does not exist or is not a directory. Download the files with ` +
          `\`npx resnet-lab dataset download cifar10 --out ${location}\` (needs internet), or extract ` +
          'cifar-10-binary.tar.gz there.',
        downloadCommand: `npx resnet-lab dataset download cifar10 --out ${location}`,
      },
    });

    // Where the download puts them: the archive's folder inside the location.
    const folder = path.join(location, 'cifar-10-batches-bin');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'batches.meta.txt'), 'airplane\n');
    for (const file of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
      await fs.writeFile(path.join(folder, `${file}.bin`), '');
      await fs.truncate(path.join(folder, `${file}.bin`), 10_000 * 3073);
    }
    expect((await test.execute(query)).data).toEqual({
      dataset: { location, available: true, unavailableReason: null, downloadCommand: null },
    });
    expect((await test.execute(`{ dataset(name: "synthetic") { downloadCommand } }`)).data).toEqual({
      dataset: { downloadCommand: null },
    });
  });

  it('quotes a location the shell would split', () => {
    expect(cifar10DownloadCommand("/srv/my data/bob's")).toBe(
      `npx resnet-lab dataset download cifar10 --out '/srv/my data/bob'\\''s'`,
    );
    expect(cifar10DownloadCommand('/srv/data-1/cifar_10')).toBe(
      'npx resnet-lab dataset download cifar10 --out /srv/data-1/cifar_10',
    );
  });
});

describe('SyntheticDatasetInput sizes', () => {
  const REGISTER = `mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { trainSize testSize } }`;
  let names = 0;
  const register = async (synthetic: Record<string, number>) => {
    const result = await test.execute(REGISTER, {
      input: { name: `shape-${++names}`, format: 'SYNTHETIC', synthetic },
    });
    return { data: result.data, errors: result.errors?.map((error) => [error.message, error.extensions]) };
  };

  it('takes trainSize and testSize, the names Dataset reads back, and still the deprecated trainCount and testCount', async () => {
    expect(await register({ trainSize: 30, testSize: 0 })).toEqual({
      data: { registerDataset: { trainSize: 30, testSize: 0 } },
      errors: undefined,
    });
    expect(await register({ trainCount: 20, testCount: 5 })).toEqual({
      data: { registerDataset: { trainSize: 20, testSize: 5 } },
      errors: undefined,
    });
    expect(await register({ trainSize: 12, trainCount: 12 })).toEqual({
      data: { registerDataset: { trainSize: 12, testSize: 200 } },
      errors: undefined,
    });
  });

  it('refuses both names with different values, and names the field given in range errors', async () => {
    expect(await register({ trainSize: 12, trainCount: 13 })).toEqual({
      data: null,
      errors: [
        [
          'Expected trainSize alone (trainCount is its deprecated name), or both alike; got trainSize 12 and ' +
            'trainCount 13.',
          { code: 'BAD_USER_INPUT', field: 'synthetic.trainSize', value: 12 },
        ],
      ],
    });
    expect(await register({ testSize: -1 })).toEqual({
      data: null,
      errors: [
        [
          'Expected testSize to be an integer from 0 to 100000, got -1.',
          { code: 'BAD_USER_INPUT', field: 'synthetic.testSize', value: -1 },
        ],
      ],
    });
    expect(await register({ trainCount: 0 })).toEqual({
      data: null,
      errors: [
        [
          'Expected trainCount to be an integer from 1 to 100000, got 0.',
          { code: 'BAD_USER_INPUT', field: 'synthetic.trainCount', value: 0 },
        ],
      ],
    });
  });

  it('marks the old names deprecated in the schema', async () => {
    const result = await test.execute(
      `{ __type(name: "SyntheticDatasetInput") { inputFields(includeDeprecated: true) {
        name isDeprecated deprecationReason } } }`,
    );
    expect(result.data).toEqual({
      __type: {
        inputFields: [
          { name: 'classes', isDeprecated: false, deprecationReason: null },
          { name: 'trainSize', isDeprecated: false, deprecationReason: null },
          { name: 'testSize', isDeprecated: false, deprecationReason: null },
          {
            name: 'trainCount',
            isDeprecated: true,
            deprecationReason: 'Use trainSize, the name Dataset reads it back under.',
          },
          {
            name: 'testCount',
            isDeprecated: true,
            deprecationReason: 'Use testSize, the name Dataset reads it back under.',
          },
          { name: 'imageSize', isDeprecated: false, deprecationReason: null },
        ],
      },
    });
  });
});
