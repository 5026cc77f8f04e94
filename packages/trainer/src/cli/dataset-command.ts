// `resnet-lab dataset`: downloads CIFAR-10 (`download cifar10`) or describes a dataset location (`info`).
import { parseArgs } from 'node:util';
import {
  CIFAR10_MD5,
  CIFAR10_URL,
  datasetCacheDirectory,
  downloadCifar10,
  loadDataset,
  userCacheDirectory,
  type ImageDataset,
  type LoadedDataset,
} from '../data/index.js';
import type { CliIo } from './cli-io.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_CIFAR10_DIRECTORY = 'data/cifar10';

export const DATASET_USAGE = `Usage: resnet-lab dataset download cifar10 [--out <dir>] [--url <url>] [--md5 <hex>]
       resnet-lab dataset info <location> [--cache-dir <dir>] [--json]

download cifar10  downloads the CIFAR-10 binary archive, checks its md5 and extracts it; prints the directory
  --out <dir>     where to put it (default ${DEFAULT_CIFAR10_DIRECTORY}); the files land in <dir>/cifar-10-batches-bin
  --url <url>     archive to download (default ${CIFAR10_URL})
  --md5 <hex>     its expected md5 (default ${CIFAR10_MD5}, the official archive's)

info <location>   format, classes, image size and images per split of 'synthetic', a CIFAR-10 binary directory
                  or an image folder (decoding an image folder the first time fills its cache)
  --cache-dir <dir> where an image folder's decoded images are cached (default $XDG_CACHE_HOME/resnet-lab, else
                  ~/.cache/resnet-lab)
  --json          print one JSON object
`;

const SUBCOMMANDS = ['download', 'info'];
const DOWNLOADABLE = ['cifar10'];
const integer = new Intl.NumberFormat('en-US');

export async function datasetCommand(args: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '--help' || subcommand === '-h') {
    io.stdout(DATASET_USAGE);
    return 0;
  }
  if (subcommand === 'download') return downloadCommand(rest, io, signal);
  if (subcommand === 'info') return infoCommand(rest, io);
  throw new UsageError(
    subcommand === undefined
      ? `Missing subcommand. Allowed: ${SUBCOMMANDS.join(', ')}.`
      : `Unknown subcommand '${subcommand}'. Allowed: ${SUBCOMMANDS.join(', ')}.`,
  );
}

async function downloadCommand(args: string[], io: CliIo, signal: AbortSignal | undefined): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: 'string', default: DEFAULT_CIFAR10_DIRECTORY },
      url: { type: 'string', default: CIFAR10_URL },
      md5: { type: 'string', default: CIFAR10_MD5 },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout(DATASET_USAGE);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined || !DOWNLOADABLE.includes(name)) {
    throw new UsageError(
      `${name === undefined ? 'Missing the dataset to download' : `Unknown dataset '${name}'`}. ` +
        `Allowed: ${DOWNLOADABLE.join(', ')}.`,
    );
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}' after 'download ${name}'.`);
  if (!/^[0-9a-fA-F]{32}$/.test(values.md5)) {
    throw new UsageError(`Expected --md5 to be 32 hexadecimal digits, got '${values.md5}'.`);
  }

  let lastReported = -1;
  const directory = await downloadCifar10(values.out, {
    url: values.url,
    md5: values.md5,
    signal,
    onProgress: (receivedBytes, totalBytes) => {
      // One line per tenth of the archive, or per 10 MB when the server does not say how large it is.
      const step =
        totalBytes === null ? Math.floor(receivedBytes / 10_000_000) : Math.floor((10 * receivedBytes) / totalBytes);
      if (step === lastReported) return;
      if (lastReported === -1) io.stderr(`Downloading CIFAR-10 from ${values.url} into ${values.out}\n`);
      lastReported = step;
      const total =
        totalBytes === null ? '' : ` of ${megabytes(totalBytes)} (${Math.floor((100 * receivedBytes) / totalBytes)}%)`;
      io.stderr(`  ${megabytes(receivedBytes)}${total}\n`);
    },
  });
  io.stderr(
    lastReported === -1
      ? `CIFAR-10 is already in ${directory}; nothing downloaded.\n`
      : 'Checksum verified, archive extracted.\n',
  );
  io.stdout(`${directory}\n`);
  return 0;
}

async function infoCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'cache-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout(DATASET_USAGE);
    return 0;
  }
  const [location, ...extra] = positionals;
  if (location === undefined) {
    throw new UsageError(`Missing <location>: 'synthetic', a CIFAR-10 binary directory or an image folder.`);
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}' after 'info ${location}'.`);

  let lastReported = -1;
  const dataset = await loadDataset(location, {
    onProgress: (decodedImages, totalImages) => {
      const step = Math.floor((10 * decodedImages) / totalImages);
      if (step === lastReported) return;
      lastReported = step;
      io.stderr(`Decoded ${integer.format(decodedImages)} of ${integer.format(totalImages)} images\n`);
    },
    cacheDirectory: datasetCacheDirectory(values['cache-dir'] ?? userCacheDirectory(), location),
    onCacheWriteError: (error) => io.stderr(`Warning: ${error.message}\n`),
  });
  io.stdout(values.json ? `${JSON.stringify(describeDataset(dataset), null, 2)}\n` : formatDescription(dataset));
  return 0;
}

export interface DatasetDescription {
  readonly location: string;
  readonly format: LoadedDataset['format'];
  readonly classNames: readonly string[];
  readonly height: number;
  readonly width: number;
  readonly trainCount: number;
  readonly testCount: number;
  /** Images per class, index = label. */
  readonly trainPerClass: number[];
  readonly testPerClass: number[];
}

function describeDataset(dataset: LoadedDataset): DatasetDescription {
  return {
    location: dataset.location,
    format: dataset.format,
    classNames: dataset.train.classNames,
    height: dataset.train.height,
    width: dataset.train.width,
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
    trainPerClass: countPerClass(dataset.train),
    testPerClass: countPerClass(dataset.test),
  };
}

function formatDescription(dataset: LoadedDataset): string {
  const description = describeDataset(dataset);
  const names = description.classNames;
  const nameWidth = Math.max('class'.length, ...names.map((name) => name.length));
  const train = description.trainPerClass.map((count) => integer.format(count));
  const test = description.testPerClass.map((count) => integer.format(count));
  const trainWidth = Math.max('train'.length, ...train.map((cell) => cell.length));
  const testWidth = Math.max('test'.length, ...test.map((cell) => cell.length));
  const row = (name: string, trainCell: string, testCell: string) =>
    `${name.padEnd(nameWidth)}  ${trainCell.padStart(trainWidth)}  ${testCell.padStart(testWidth)}`;
  return [
    `location    ${description.location}`,
    `format      ${description.format}`,
    `image size  ${description.width}x${description.height}`,
    `classes     ${names.length}`,
    `train       ${integer.format(description.trainCount)} images`,
    `test        ${integer.format(description.testCount)} images`,
    '',
    row('class', 'train', 'test'),
    ...names.map((name, label) => row(name, train[label]!, test[label]!)),
    '',
  ].join('\n');
}

function countPerClass(dataset: ImageDataset): number[] {
  const counts = new Array<number>(dataset.classNames.length).fill(0);
  for (const label of dataset.labels) counts[label]!++;
  return counts;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
