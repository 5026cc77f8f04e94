// Datasets: where training images come from. Availability is checked on the file system whenever it is asked. The
// API reads datasets only under DATASET_ROOTS (see DatasetRoots); its built-ins live in DATA_DIR.
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CIFAR10_CLASS_NAMES,
  CIFAR10_IMAGE_SIZE,
  SYNTHETIC_CLASS_NAMES,
  SYNTHETIC_DEFAULTS,
  SYNTHETIC_LOCATION,
  DatasetError,
  checkCifar10BinaryDirectory,
  datasetCacheDirectory,
  listImageFolderDataset,
  type ImageFolderClass,
  type SyntheticDatasetOptions,
} from '@resnet-lab/trainer';
import type { ApiConfig } from '../config.js';
import { badUserInput, conflict, forbidden, notFound } from '../errors.js';
import { Prisma, type Dataset, type DatasetFormat, type PrismaClient } from '../generated/prisma/client.js';
import type { DatasetSpec } from '../training/worker-protocol.js';
import { BatchLoader, byId, referenced } from './batch-loader.js';
import { DatasetRoots } from './dataset-roots.js';
import { datasetThumbnails, type DatasetThumbnail, type ThumbnailSource } from './dataset-thumbnails.js';
import { ExpiringCache } from './expiring-cache.js';
import { isUniqueViolation } from './prisma-errors.js';
import { checkName } from './names.js';

/** What every complete set of the official CIFAR-10 binary files holds. */
const CIFAR10_SHAPE = {
  classNames: [...CIFAR10_CLASS_NAMES],
  trainSize: 50000,
  testSize: 10000,
  imageSize: CIFAR10_IMAGE_SIZE,
};

export interface RegisterDatasetInput {
  readonly name: string;
  readonly format: DatasetFormat;
  readonly location?: string | null;
  readonly description?: string | null;
  readonly synthetic?: SyntheticShapeInput | null;
}

/** A dataset to preview: registerDataset's input without the name and description. */
export type PreviewDatasetInput = Omit<RegisterDatasetInput, 'name' | 'description'>;

export interface SyntheticShapeInput {
  readonly classes?: number | null;
  readonly trainSize?: number | null;
  readonly testSize?: number | null;
  /** @deprecated The old name of trainSize. */
  readonly trainCount?: number | null;
  /** @deprecated The old name of testSize. */
  readonly testCount?: number | null;
  readonly imageSize?: number | null;
}

export interface Availability {
  readonly available: boolean;
  readonly reason: string | null;
  /** The shell command that downloads the missing files, where there is one. */
  readonly downloadCommand: string | null;
}

/** The images of one class; `testSize` null where the dataset's is. */
export interface DatasetClassSize {
  readonly className: string;
  readonly trainSize: number;
  readonly testSize: number | null;
}

/** What previewDataset answers. */
export interface DatasetPreview {
  readonly format: DatasetFormat;
  readonly location: string;
  readonly classNames: string[];
  readonly trainSize: number;
  readonly testSize: number | null;
  readonly classes: DatasetClassSize[];
  readonly imageSize: number | null;
  readonly thumbnails: DatasetThumbnail[];
}

/** One of a dataset's unique keys. */
export type DatasetKey = { readonly id: string } | { readonly name: string };

/**
 * How long a dataset read by id is reused, in milliseconds. Every page of the runs list asks for the datasets of its
 * runs; a dataset changes only when an API starts on another DATA_DIR (the built-ins' location), so reading each
 * once a second instead of once a page loses next to nothing.
 */
export const DATASET_MAX_AGE_MS = 1_000;

export class DatasetService {
  /**
   * Batches the lookups of a list of runs, one per run. It and `list` are what every page of the runs list reads:
   * raw SQL, whose rows have the types of Prisma's (see RunCatalog.list), for Prisma compiling a query costs the API
   * more CPU than running it costs PostgreSQL.
   */
  private readonly datasets = new BatchLoader<string, Dataset>(async (ids) =>
    byId(await this.prisma.$queryRaw<Dataset[]>`SELECT * FROM "Dataset" WHERE "id" IN (${Prisma.join(ids)})`),
  );
  private readonly recentDatasets = new ExpiringCache<string, Dataset | undefined>(DATASET_MAX_AGE_MS);
  private readonly datasetRoots: DatasetRoots;
  private readonly dataDir: string;
  /** Where workers of this process cache decoded image folders (ApiConfig.cacheDir). */
  readonly cacheDir: string;

  constructor(
    private readonly prisma: PrismaClient,
    config: Pick<ApiConfig, 'dataDir' | 'datasetRoots' | 'cacheDir'>,
  ) {
    this.datasetRoots = new DatasetRoots(config.datasetRoots);
    this.dataDir = config.dataDir;
    this.cacheDir = config.cacheDir;
  }

  /** DATASET_ROOTS: the directories datasets are registered under, in order. */
  get roots(): readonly string[] {
    return this.datasetRoots.roots;
  }

  /** All datasets: the built-in ones first, then by name. */
  list(): Promise<Dataset[]> {
    return this.prisma.$queryRaw<Dataset[]>`SELECT * FROM "Dataset" ORDER BY "builtIn" DESC, "name" ASC`;
  }

  find(key: DatasetKey): Promise<Dataset | null> {
    return this.prisma.dataset.findUnique({ where: key });
  }

  /** A dataset that a stored row refers to, so it exists; as read up to DATASET_MAX_AGE_MS ago. */
  async get(id: string): Promise<Dataset> {
    return referenced('dataset', id, await this.recentDatasets.get(id, () => this.datasets.load(id)));
  }

  /** Where the built-in cifar10 dataset's binary files go. */
  get cifar10Directory(): string {
    return path.join(this.dataDir, 'cifar10');
  }

  /**
   * Creates DATA_DIR/datasets when it is a dataset root (it is by default), so that there is a place to put datasets;
   * returns the roots that do not exist, for the caller to warn about.
   */
  async prepareRoots(): Promise<string[]> {
    const own = path.join(this.dataDir, 'datasets');
    if (this.datasetRoots.roots.includes(own)) await fs.mkdir(own, { recursive: true });
    return this.datasetRoots.missing();
  }

  /** Registers the built-in datasets, or refreshes them when the data directory moved. */
  async registerBuiltIns(): Promise<void> {
    const builtIns = [
      {
        name: 'cifar10',
        description: 'CIFAR-10: 50,000 training and 10,000 test images of 32x32 in 10 classes (official binary files).',
        format: 'CIFAR10_BINARY' as const,
        location: this.cifar10Directory,
        ...CIFAR10_SHAPE,
      },
      {
        name: 'synthetic',
        description:
          'Generated stripe, checker and grid patterns under noise: trains on any machine, nothing to download.',
        format: 'SYNTHETIC' as const,
        location: 'synthetic',
        classNames: SYNTHETIC_CLASS_NAMES.slice(0, SYNTHETIC_DEFAULTS.classes),
        trainSize: SYNTHETIC_DEFAULTS.trainCount,
        testSize: SYNTHETIC_DEFAULTS.testCount,
        imageSize: SYNTHETIC_DEFAULTS.imageSize,
        options: SYNTHETIC_DEFAULTS,
      },
    ];
    for (const dataset of builtIns) {
      await this.prisma.dataset.upsert({
        where: { name: dataset.name },
        create: { ...dataset, builtIn: true },
        update: { location: dataset.location },
      });
    }
  }

  async register(input: RegisterDatasetInput): Promise<Dataset> {
    const name = checkName('name', input.name);
    const { shape: described } = await this.inspect(input);
    try {
      return await this.prisma.dataset.create({
        data: { name, description: input.description ?? '', format: input.format, ...described },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A dataset named '${name}' already exists; choose another name.`);
      throw error;
    }
  }

  /** Deletes a dataset's registration, never its files, and returns its id; refused for built-ins and while used. */
  async delete(id: string): Promise<string> {
    return this.prisma.$transaction(async (transaction) => {
      // Locked, so that a run queued meanwhile waits for this answer instead of slipping in after the count.
      const [dataset] = await transaction.$queryRaw<Dataset[]>`SELECT * FROM "Dataset" WHERE "id" = ${id} FOR UPDATE`;
      if (!dataset) throw notFound('dataset', id);
      if (dataset.builtIn) {
        throw conflict(`Dataset '${dataset.name}' is built in: the API registers it at every start, so it stays.`);
      }
      const runs = await transaction.run.count({ where: { datasetId: id } });
      if (runs > 0) {
        throw conflict(
          `Dataset '${dataset.name}' cannot be deleted: ${runs} run${runs === 1 ? '' : 's'} trained on it, and ` +
            'their records refer to it.',
        );
      }
      await transaction.dataset.delete({ where: { id } });
      return id;
    });
  }

  /**
   * Whether a run could read the dataset now, and if not why. A dataset outside DATASET_ROOTS (one that
   * `resnet-lab train --track` recorded on its own machine, or one registered before the roots changed) is not
   * looked at: its reason says only that it is outside.
   */
  async availability(dataset: Dataset): Promise<Availability> {
    if (dataset.format === 'SYNTHETIC') return { available: true, reason: null, downloadCommand: null };
    // The built-ins are where this API put them (DATA_DIR/cifar10), whatever the roots.
    const location = dataset.builtIn ? dataset.location : await this.datasetRoots.locate(dataset.location);
    if (location === null) {
      return {
        available: false,
        reason:
          `${dataset.location} is outside DATASET_ROOTS (${this.datasetRoots.describe()}): the API reads datasets only ` +
          'under those directories.',
        downloadCommand: null,
      };
    }
    if (dataset.format === 'CIFAR10_BINARY') {
      const problem = await checkCifar10BinaryDirectory(location);
      if (problem === null) return { available: true, reason: null, downloadCommand: null };
      const downloadCommand = cifar10DownloadCommand(location);
      return {
        available: false,
        reason:
          `${problem} Download the files with \`${downloadCommand}\` (needs internet), or extract ` +
          'cifar-10-binary.tar.gz there.',
        downloadCommand,
      };
    }
    try {
      await listImageFolderDataset(location);
      return { available: true, reason: null, downloadCommand: null };
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      return { available: false, reason: error.message, downloadCommand: null };
    }
  }

  /**
   * What `register` would record for `input`, with its images per class and a few thumbnails; records nothing.
   * The same checks and errors as `register`.
   */
  async preview(input: PreviewDatasetInput): Promise<DatasetPreview> {
    const { shape, classes, thumbnailSource } = await this.inspect(input);
    let thumbnails: DatasetThumbnail[];
    try {
      thumbnails = await datasetThumbnails(thumbnailSource);
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      throw badUserInput(
        'location',
        `${shape.location} has an image that training cannot read: ${error.message}`,
        input.location,
      );
    }
    return {
      format: input.format,
      location: shape.location,
      classNames: shape.classNames,
      trainSize: shape.trainSize,
      testSize: shape.testSize,
      classes,
      imageSize: shape.imageSize,
      thumbnails,
    };
  }

  /**
   * What a worker needs to load `dataset`; an image folder's decoded images are cached in its own folder under
   * `cacheDir` (the worker's ApiConfig.cacheDir, DATA_DIR/cache by default).
   */
  static spec(dataset: Dataset, cacheDir: string): DatasetSpec {
    return {
      format: dataset.format,
      location: dataset.location,
      synthetic: dataset.format === 'SYNTHETIC' ? (dataset.options as SyntheticDatasetOptions | null) : null,
      cacheDirectory: dataset.format === 'IMAGE_FOLDER' ? datasetCacheDirectory(cacheDir, dataset.location) : null,
    };
  }

  /** What registering `input` records (its shape), its images per class, and where its thumbnails come from. */
  private async inspect(input: PreviewDatasetInput): Promise<Inspection> {
    if (input.format === 'SYNTHETIC') {
      const options = syntheticOptions(input.synthetic ?? {});
      const classNames = SYNTHETIC_CLASS_NAMES.slice(0, options.classes);
      return {
        shape: {
          location: SYNTHETIC_LOCATION,
          classNames,
          trainSize: options.trainCount,
          testSize: options.testCount,
          imageSize: options.imageSize,
          options,
        },
        // Sample i has label i % classes.
        classes: classNames.map((className, label) => ({
          className,
          trainSize: sharesOf(options.trainCount, options.classes, label),
          testSize: sharesOf(options.testCount, options.classes, label),
        })),
        thumbnailSource: { format: 'SYNTHETIC', options },
      };
    }
    if (input.synthetic) {
      throw badUserInput('synthetic', `'synthetic' applies only to format SYNTHETIC, not ${input.format}.`);
    }
    const given = input.location?.trim() ?? '';
    if (given === '') {
      throw badUserInput(
        'location',
        `Expected location to be a directory under DATASET_ROOTS (${this.datasetRoots.describe()}) for format ` +
          `${input.format}, got ''.`,
        given,
      );
    }
    // Said the same way whether the path exists or not, so that this cannot be used to explore the machine.
    const location = await this.datasetRoots.locate(given);
    if (location === null) {
      throw forbidden(
        `Expected location to be a directory under DATASET_ROOTS (${this.datasetRoots.describe()}), links resolved; ` +
          `got '${given}'.`,
        'location',
      );
    }
    if (input.format === 'CIFAR10_BINARY') {
      const problem = await checkCifar10BinaryDirectory(location);
      if (problem !== null) throw badUserInput('location', problem, given);
      return {
        shape: { location, ...CIFAR10_SHAPE },
        // checkCifar10BinaryDirectory has checked the official release's file sizes; its classes are balanced.
        classes: CIFAR10_SHAPE.classNames.map((className) => ({
          className,
          trainSize: CIFAR10_SHAPE.trainSize / CIFAR10_SHAPE.classNames.length,
          testSize: CIFAR10_SHAPE.testSize / CIFAR10_SHAPE.classNames.length,
        })),
        thumbnailSource: { format: 'CIFAR10_BINARY', location, classNames: CIFAR10_SHAPE.classNames },
      };
    }
    let folder: Awaited<ReturnType<typeof listImageFolderDataset>>;
    try {
      folder = await listImageFolderDataset(location);
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      throw badUserInput('location', `${location} is not an image folder: ${error.message}`, given);
    }
    if (folder.train.length < 2) {
      throw badUserInput(
        'location',
        `${location} has ${folder.train.length} class folder; a classifier needs at least 2.`,
        given,
      );
    }
    const images = (classes: readonly ImageFolderClass[]) => classes.reduce((total, entry) => total + entry.images, 0);
    // loadImageFolder has checked that test/ holds the same class folders, in the same order.
    const testImages = (label: number) => folder.test?.[label]?.images ?? null;
    return {
      shape: {
        location,
        classNames: folder.train.map((entry) => entry.className),
        trainSize: images(folder.train),
        testSize: folder.test ? images(folder.test) : null,
        imageSize: null,
      },
      classes: folder.train.map((entry, label) => ({
        className: entry.className,
        trainSize: entry.images,
        testSize: testImages(label),
      })),
      thumbnailSource: { format: 'IMAGE_FOLDER', classes: folder.train },
    };
  }
}

/** What registering a dataset records about its contents. */
interface DatasetShape {
  readonly location: string;
  readonly classNames: string[];
  readonly trainSize: number;
  readonly testSize: number | null;
  readonly imageSize: number | null;
  /** A synthetic dataset's options, as the trainer names them. */
  readonly options?: ReturnType<typeof syntheticOptions>;
}

interface Inspection {
  readonly shape: DatasetShape;
  readonly classes: DatasetClassSize[];
  readonly thumbnailSource: ThumbnailSource;
}

/** How many of `count` samples have `label` when sample i has label i % classes. */
function sharesOf(count: number, classes: number, label: number): number {
  return Math.floor(count / classes) + (label < count % classes ? 1 : 0);
}

/** The command that downloads CIFAR-10 into `location` (into its cifar-10-batches-bin/, which the API reads). */
export function cifar10DownloadCommand(location: string): string {
  // Quoted for a POSIX shell only where it needs to be, so that the usual path reads as typed.
  const argument = /^[\w@%+=:,./-]+$/.test(location) ? location : `'${location.replaceAll("'", "'\\''")}'`;
  return `npx resnet-lab dataset download cifar10 --out ${argument}`;
}

/**
 * The synthetic dataset's options (in the trainer's names) from `input`, defaults filled in. `trainSize` and
 * `testSize` also arrive under their deprecated names `trainCount` and `testCount`; errors name the field given.
 */
function syntheticOptions(input: SyntheticShapeInput) {
  const check = (field: string, given: number, min: number, max: number): number => {
    if (!Number.isInteger(given) || given < min || given > max) {
      throw badUserInput(
        `synthetic.${field}`,
        `Expected ${field} to be an integer from ${min} to ${max}, got ${given}.`,
        given,
      );
    }
    return given;
  };
  const size = (field: 'trainSize' | 'testSize', oldField: 'trainCount' | 'testCount', min: number): number => {
    const given = input[field] ?? null;
    const old = input[oldField] ?? null;
    if (given !== null && old !== null && given !== old) {
      throw badUserInput(
        `synthetic.${field}`,
        `Expected ${field} alone (${oldField} is its deprecated name), or both alike; got ${field} ${given} and ` +
          `${oldField} ${old}.`,
        given,
      );
    }
    if (given !== null) return check(field, given, min, 100000);
    if (old !== null) return check(oldField, old, min, 100000);
    return SYNTHETIC_DEFAULTS[oldField];
  };
  return {
    classes: check('classes', input.classes ?? SYNTHETIC_DEFAULTS.classes, 2, SYNTHETIC_CLASS_NAMES.length),
    trainCount: size('trainSize', 'trainCount', 1),
    testCount: size('testSize', 'testCount', 0),
    imageSize: check('imageSize', input.imageSize ?? SYNTHETIC_DEFAULTS.imageSize, 8, 1024),
  };
}
