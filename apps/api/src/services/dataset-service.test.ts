// registerDataset and dataset availability against DATASET_ROOTS, through whole GraphQL operations: a location outside
// the roots is refused the same way whether it exists or not, a link out of a root counts as outside, and CIFAR-10
// binary files are checked by size.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, stripesPng, type TestApi } from '../../test-support/test-api.js';

let test: TestApi;
/** Outside every root: what the API must not read. */
let outside: string;
let rootA: string;
let rootB: string;

beforeAll(async () => {
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'dataset-roots-'));
  rootA = path.join(outside, 'root-a');
  rootB = path.join(outside, 'root-b');
  await fs.mkdir(rootA);
  await fs.mkdir(rootB);
  test = await startTestApi({ DATASET_ROOTS: [rootA, rootB].join(path.delimiter) });
});
afterAll(async () => {
  await test.close();
  await fs.rm(outside, { recursive: true, force: true });
});

const REGISTER = `mutation($input: RegisterDatasetInput!) {
  registerDataset(input: $input) { location classNames trainSize testSize available unavailableReason } }`;

let names = 0;
async function register(format: string, location: string) {
  const result = await test.execute<{ registerDataset: Record<string, unknown> }>(REGISTER, {
    input: { name: `dataset-${++names}`, format, location },
  });
  return {
    data: result.data?.registerDataset ?? null,
    errors: result.errors?.map((error) => ({ message: error.message, code: error.extensions?.['code'] })),
  };
}

/** Two class folders of two PNGs each: a valid image folder. */
async function writeImageFolder(location: string): Promise<void> {
  for (const className of ['cat', 'dog']) {
    await fs.mkdir(path.join(location, className), { recursive: true });
    for (const file of ['1.png', '2.png']) await fs.writeFile(path.join(location, className, file), stripesPng(8));
  }
}

const CIFAR10_BATCH_BYTES = 10_000 * 3073;

/** The official CIFAR-10 binary files at their official sizes (sparse: they take no disk space). */
async function writeCifar10Release(location: string): Promise<void> {
  await fs.mkdir(location, { recursive: true });
  await fs.writeFile(path.join(location, 'batches.meta.txt'), 'airplane\nautomobile\n');
  for (const file of [1, 2, 3, 4, 5].map((number) => `data_batch_${number}.bin`).concat('test_batch.bin')) {
    await fs.writeFile(path.join(location, file), '');
    await fs.truncate(path.join(location, file), CIFAR10_BATCH_BYTES);
  }
}

function outsideRoots(location: string) {
  return {
    data: null,
    errors: [
      {
        message:
          `Expected location to be a directory under DATASET_ROOTS (${rootA}, ${rootB}), links resolved; got ` +
          `'${location}'.`,
        code: 'FORBIDDEN',
      },
    ],
  };
}

describe('registerDataset under DATASET_ROOTS', () => {
  it('refuses a location outside the roots with FORBIDDEN, saying nothing about what is there', async () => {
    // Existing directories with subfolders, a path that does not exist, and ways out of a root: all answered alike.
    for (const location of ['/home', '/etc', '/nonexistent/photos', `${rootA}/../../..`, '../root-b-not', '/']) {
      expect(await register('IMAGE_FOLDER', location)).toEqual(outsideRoots(location));
    }
    expect(await register('CIFAR10_BINARY', '/etc')).toEqual(outsideRoots('/etc'));
    const images = path.join(outside, 'photos');
    await writeImageFolder(images);
    expect(await register('IMAGE_FOLDER', images)).toEqual(outsideRoots(images));
  });

  it('refuses a link inside a root that leads out of the roots, and follows one that leads into another root', async () => {
    await writeImageFolder(path.join(outside, 'private'));
    await fs.symlink(path.join(outside, 'private'), path.join(rootA, 'escape'));
    expect(await register('IMAGE_FOLDER', path.join(rootA, 'escape'))).toEqual(
      outsideRoots(path.join(rootA, 'escape')),
    );
    // Below the link, and through a dangling link whose target may or may not exist: refused the same way.
    expect(await register('IMAGE_FOLDER', path.join(rootA, 'escape', 'cat'))).toEqual(
      outsideRoots(path.join(rootA, 'escape', 'cat')),
    );
    await fs.symlink(path.join(outside, 'missing'), path.join(rootA, 'dangling'));
    expect(await register('IMAGE_FOLDER', path.join(rootA, 'dangling'))).toEqual(
      outsideRoots(path.join(rootA, 'dangling')),
    );

    await writeImageFolder(path.join(rootB, 'shared'));
    await fs.symlink(path.join(rootB, 'shared'), path.join(rootA, 'shared-link'));
    expect(await register('IMAGE_FOLDER', path.join(rootA, 'shared-link'))).toEqual({
      data: {
        location: path.join(rootB, 'shared'),
        classNames: ['cat', 'dog'],
        trainSize: 4,
        testSize: null,
        available: true,
        unavailableReason: null,
      },
      errors: undefined,
    });
  });

  it('takes a relative location from the first root, and names what is wrong inside the roots', async () => {
    await writeImageFolder(path.join(rootA, 'pets'));
    expect((await register('IMAGE_FOLDER', 'pets')).data).toMatchObject({
      location: path.join(rootA, 'pets'),
      available: true,
    });
    const missing = path.join(rootB, 'not-yet');
    expect(await register('IMAGE_FOLDER', missing)).toEqual({
      data: null,
      errors: [
        {
          message: `${missing} is not an image folder: Dataset location ${missing} does not exist or is not a directory.`,
          code: 'BAD_USER_INPUT',
        },
      ],
    });
  });

  it('refuses CIFAR-10 binary files that do not hold 10,000 records each, naming the file and its size', async () => {
    const location = path.join(rootA, 'cifar10');
    await writeCifar10Release(location);
    await fs.writeFile(path.join(location, 'test_batch.bin'), '');
    expect(await register('CIFAR10_BINARY', location)).toEqual({
      data: null,
      errors: [
        {
          message:
            `${location} is not the complete CIFAR-10 binary release: test_batch.bin holds 0 bytes; each batch ` +
            'file holds 10,000 records of 3,073 bytes (30,730,000 bytes).',
          code: 'BAD_USER_INPUT',
        },
      ],
    });

    await fs.truncate(path.join(location, 'test_batch.bin'), CIFAR10_BATCH_BYTES);
    expect(await register('CIFAR10_BINARY', location)).toMatchObject({
      data: { location, trainSize: 50_000, testSize: 10_000, available: true },
    });
    // Availability makes the same check: a file cut short later makes the dataset unavailable, saying which.
    await fs.truncate(path.join(location, 'data_batch_3.bin'), 3073);
    const later = await test.execute<{ datasets: { location: string; unavailableReason: string | null }[] }>(
      `{ datasets { location unavailableReason } }`,
    );
    expect(later.data!.datasets.find((dataset) => dataset.location === location)!.unavailableReason).toBe(
      `${location} is not the complete CIFAR-10 binary release: data_batch_3.bin holds 3,073 bytes; each batch ` +
        'file holds 10,000 records of 3,073 bytes (30,730,000 bytes). Download the files with ' +
        `\`npx resnet-lab dataset download cifar10 --out ${location}\` (needs internet), or extract ` +
        'cifar-10-binary.tar.gz there.',
    );
  });
});

describe('dataset availability', () => {
  const AVAILABILITY = `query($name: String!) { dataset(name: $name) { available unavailableReason } }`;

  it('does not look at a location outside the roots, such as one the CLI recorded with --track', async () => {
    // As TrackedRunService records a dataset on the CLI's machine: unchecked.
    await test.api.services.prisma.dataset.create({
      data: { name: 'tracked', format: 'IMAGE_FOLDER', location: '/etc', classNames: ['a', 'b'] },
    });
    expect((await test.execute(AVAILABILITY, { name: 'tracked' })).data).toEqual({
      dataset: {
        available: false,
        unavailableReason: `/etc is outside DATASET_ROOTS (${rootA}, ${rootB}): the API reads datasets only under those directories.`,
      },
    });
  });

  it('notices a registered folder replaced by a link out of the roots', async () => {
    const location = path.join(rootB, 'swapped');
    await writeImageFolder(location);
    expect((await register('IMAGE_FOLDER', location)).data).toMatchObject({ available: true });
    await fs.rm(location, { recursive: true });
    await writeImageFolder(path.join(outside, 'elsewhere'));
    await fs.symlink(path.join(outside, 'elsewhere'), location);
    expect((await test.execute(AVAILABILITY, { name: `dataset-${names}` })).data).toEqual({
      dataset: {
        available: false,
        unavailableReason: `${location} is outside DATASET_ROOTS (${rootA}, ${rootB}): the API reads datasets only under those directories.`,
      },
    });
  });
});
