// Model versions from outside: the weights of a PyTorch state_dict saved as safetensors, checked against a model's
// architecture, kept as the one checkpoint (epoch 0) of a run with source IMPORT, and promoted into the model's
// registry like any checkpoint.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SafetensorsFormatError, StateDictMismatchError } from '@resnet-lab/resnet';
import { NAMED_NORMALIZATIONS, importSafetensors, resolveTrainConfig, type Normalization } from '@resnet-lab/trainer';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { badUserInput, conflict, forbidden } from '../errors.js';
import type { Dataset, Model, ModelVersion, Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { CheckpointService } from './checkpoint-service.js';
import { DatasetRoots } from './dataset-roots.js';
import { checkVersionDescription } from './model-registry-service.js';
import { checkAliasName, checkDisplayName } from './names.js';
import { isForeignKeyViolation } from './prisma-errors.js';
import { notify } from './run-recorder.js';

export interface ImportModelVersionInput {
  readonly modelName: string;
  readonly datasetName: string;
  /** A file under IMPORT_ROOTS; give this or `safetensorsBase64`. */
  readonly path?: string | null;
  readonly safetensorsBase64?: string | null;
  /** A name of NAMED_NORMALIZATIONS; default the file's own, else by the model's stem. */
  readonly normalization?: string | null;
  readonly name?: string | null;
  readonly aliases?: readonly string[] | null;
  readonly description?: string | null;
}

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

/** The file a client named, read, with the input field it came from for errors. */
interface SafetensorsSource {
  readonly field: 'path' | 'safetensorsBase64';
  /** The path as given, echoed in errors; undefined for bytes. */
  readonly given: string | undefined;
  readonly fileName: string | null;
  readonly bytes: Uint8Array;
}

export class ModelImportService {
  private readonly roots: DatasetRoots;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly artifacts: ArtifactStore,
    private readonly checkpoints: CheckpointService,
    /** Loads the compute backend, once: building the model to check the weights against needs it. */
    private readonly loadBackend: () => Promise<unknown>,
    /** IMPORT_ROOTS: where a file given by path may be. */
    importRoots: readonly string[],
  ) {
    this.roots = new DatasetRoots(importRoots);
  }

  /** Creates `<dataDir>/imports` when it is one of the roots; returns the roots that are not directories. */
  async prepareRoots(dataDir: string): Promise<string[]> {
    const own = path.join(dataDir, 'imports');
    if (this.roots.roots.includes(own)) await fs.mkdir(own, { recursive: true });
    return this.roots.missing();
  }

  /**
   * Checks the model, the dataset, the aliases and the file, writes the checkpoint and its run, and promotes the
   * checkpoint as the model's next version. Nothing stays behind when any step fails.
   */
  async importVersion(input: ImportModelVersionInput): Promise<ModelVersion> {
    const model = await this.prisma.model.findUnique({ where: { name: input.modelName } });
    if (!model) {
      throw badUserInput(
        'modelName',
        `No model named '${input.modelName}'. Create it with createModel first, with the architecture of the weights.`,
        input.modelName,
      );
    }
    const dataset = await this.datasetFor(model, input.datasetName);
    const normalization = namedNormalization(input.normalization);
    const name = checkDisplayName('name', input.name);
    for (const alias of input.aliases ?? []) checkAliasName('aliases', alias);
    checkVersionDescription('description', input.description);
    const source = await this.readSource(input);
    const runId = randomUUID();
    const location = `runs/${runId}/checkpoints/epoch-0000`;
    try {
      const imported = await this.writeCheckpoint(model, dataset, source, {
        normalization,
        directory: this.artifacts.resolve(location),
      });
      const sizeBytes = await this.artifacts.sizeOf(location);
      const checkpoint = await this.record({
        runId,
        name: name ?? `${model.name} from ${source.fileName ?? 'an upload'}`,
        model,
        dataset,
        location,
        sizeBytes,
        sha256: imported.weightsSha256,
      });
      return await this.checkpoints.promote({
        checkpointId: checkpoint.id,
        aliases: input.aliases,
        description: input.description,
      });
    } catch (error) {
      // The run and its checkpoint go together (the checkpoint's foreign key cascades), then their files.
      await this.prisma.run
        .deleteMany({ where: { id: runId } })
        .then(() => this.artifacts.remove(`runs/${runId}`))
        .catch((removal: unknown) => {
          throw new AggregateError([error, removal], `The import failed, and removing what it wrote failed.`);
        });
      throw error;
    }
  }

  /** The dataset whose class names label the weights' outputs: as many as the model's classes. */
  private async datasetFor(model: Model, datasetName: string): Promise<Dataset> {
    const dataset = await this.prisma.dataset.findUnique({ where: { name: datasetName } });
    if (!dataset) {
      const names = (await this.prisma.dataset.findMany({ select: { name: true }, orderBy: { name: 'asc' } })).map(
        (d) => d.name,
      );
      throw badUserInput(
        'datasetName',
        `No dataset named '${datasetName}'. Registered: ${names.join(', ')}.`,
        datasetName,
      );
    }
    if (dataset.classNames.length !== model.classes) {
      throw badUserInput(
        'datasetName',
        `Model '${model.name}' has ${model.classes} classes but dataset '${dataset.name}' has ` +
          `${dataset.classNames.length}: the dataset's class names label the weights' outputs, one each.`,
        datasetName,
      );
    }
    return dataset;
  }

  private async readSource(input: ImportModelVersionInput): Promise<SafetensorsSource> {
    const hasPath = input.path !== undefined && input.path !== null;
    const hasBytes = input.safetensorsBase64 !== undefined && input.safetensorsBase64 !== null;
    if (hasPath === hasBytes) {
      throw badUserInput(
        'path',
        'Give the safetensors file either as path (a file on the API machine under IMPORT_ROOTS) or as ' +
          'safetensorsBase64 (its bytes), not ' +
          (hasPath ? 'both.' : 'neither.'),
      );
    }
    if (hasBytes) {
      const base64 = input.safetensorsBase64.replace(/\s+/g, '');
      // Checked before decoding: Buffer.from ignores characters that are not base64 instead of failing.
      if (!BASE64_PATTERN.test(base64)) {
        throw badUserInput('safetensorsBase64', 'The file is not valid base64.', input.safetensorsBase64);
      }
      const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
      return { field: 'safetensorsBase64', given: undefined, fileName: null, bytes };
    }
    const given = input.path!;
    // Said the same way whether the file exists or not, so that this cannot be used to explore the machine.
    const located = await this.roots.locate(given);
    if (located === null) {
      throw forbidden(
        `Expected path to be a file under IMPORT_ROOTS (${this.roots.describe()}), links resolved; got '${given}'.`,
      );
    }
    const stats = await fs.stat(located).catch(() => null);
    if (!stats?.isFile()) {
      throw badUserInput('path', `There is no file at ${located}.`, given);
    }
    const bytes = new Uint8Array(await fs.readFile(located));
    return { field: 'path', given, fileName: path.basename(located), bytes };
  }

  /** Builds the model's architecture, loads the file's weights into it and saves it as a checkpoint directory. */
  private async writeCheckpoint(
    model: Model,
    dataset: Dataset,
    source: SafetensorsSource,
    options: { normalization: Normalization | null | undefined; directory: string },
  ) {
    await this.loadBackend();
    try {
      return await importSafetensors({
        bytes: source.bytes,
        model: {
          arch: model.arch,
          stem: model.stem,
          width: model.width,
          classes: model.classes,
          inputSize: model.inputSize,
        },
        classNames: dataset.classNames,
        normalization: options.normalization,
        sourceName: source.fileName ?? undefined,
        out: options.directory,
      });
    } catch (error) {
      if (error instanceof StateDictMismatchError || error instanceof SafetensorsFormatError) {
        const what =
          error instanceof StateDictMismatchError
            ? `The weights do not fit model '${model.name}'`
            : 'The file is not safetensors';
        throw badUserInput(source.field, `${what}: ${error.message}`, source.given);
      }
      throw error;
    }
  }

  /** The run (COMPLETED, source IMPORT) and its one checkpoint, in one transaction. */
  private async record(entry: {
    runId: string;
    name: string;
    model: Model;
    dataset: Dataset;
    location: string;
    sizeBytes: number;
    sha256: string;
  }) {
    // What resumeRun fine-tunes the weights with: the seed's defaults on the dataset the weights are labelled by.
    const config = resolveTrainConfig({
      data: entry.dataset.location,
      arch: entry.model.arch,
      stem: entry.model.stem,
      width: entry.model.width,
    });
    const now = new Date();
    try {
      return await this.prisma.$transaction(async (transaction) => {
        await transaction.run.create({
          data: {
            id: entry.runId,
            name: entry.name,
            modelId: entry.model.id,
            datasetId: entry.dataset.id,
            config: config as unknown as Prisma.InputJsonObject,
            status: 'COMPLETED',
            source: 'IMPORT',
            epochs: 0,
            progress: 1,
            outputDir: `runs/${entry.runId}`,
            startedAt: now,
            finishedAt: now,
          },
        });
        const checkpoint = await transaction.checkpoint.create({
          data: {
            runId: entry.runId,
            epoch: 0,
            sizeBytes: BigInt(entry.sizeBytes),
            sha256: entry.sha256,
            location: entry.location,
          },
        });
        await notify(transaction, { kind: 'updated', runId: entry.runId });
        return checkpoint;
      });
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      throw conflict(
        `Model '${entry.model.name}' or dataset '${entry.dataset.name}' was deleted during the import; nothing was ` +
          'imported.',
      );
    }
  }
}

/** The normalization named by the input; undefined for none named, so that importSafetensors picks its default. */
function namedNormalization(name: string | null | undefined): Normalization | null | undefined {
  if (name === undefined || name === null) return undefined;
  if (!Object.hasOwn(NAMED_NORMALIZATIONS, name)) {
    throw badUserInput(
      'normalization',
      `Expected normalization to be one of ${Object.keys(NAMED_NORMALIZATIONS).join(', ')}, got '${name}'.`,
      name,
    );
  }
  return NAMED_NORMALIZATIONS[name as keyof typeof NAMED_NORMALIZATIONS];
}
