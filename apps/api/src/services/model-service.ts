// Models: named ResNet architectures, with the parameter count and MACs of their summary, their runs and their
// registry of versions and aliases.
import { ResNetConfigError, resolveResNetConfig, summarizeResNet, type ResNetSummary } from '@resnet-lab/resnet';
import { badUserInput, conflict, notFound } from '../errors.js';
import type { Model, ModelAlias, ModelVersion, PrismaClient, Run } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { BatchLoader, byId, groupBy, referenced } from './batch-loader.js';
import { ExpiringCache } from './expiring-cache.js';
import { checkName } from './names.js';
import { checkPageSize } from './page-size.js';
import { isUniqueViolation } from './prisma-errors.js';

export interface CreateModelInput {
  readonly name: string;
  readonly description?: string | null;
  readonly arch: string;
  readonly stem?: string | null;
  readonly width?: number | null;
  readonly classes?: number | null;
  readonly inputSize?: number | null;
}

/** One of a model's unique keys. */
export type ModelKey = { readonly id: string } | { readonly name: string };

/**
 * How long a model read by id is reused, in milliseconds. Every page of the runs list asks for the models of its
 * runs; a model never changes once created, so reading each once a second instead of once a page loses nothing.
 */
export const MODEL_MAX_AGE_MS = 1_000;

export class ModelService {
  // The loaders batch the lookups that a list of models (or of versions, or runs) makes once per item. What every
  // page of the runs list and the Models page read is raw SQL, whose rows have the types of Prisma's (see
  // RunCatalog.list): Prisma compiling a query costs the API more CPU than running it costs PostgreSQL.
  private readonly models = new BatchLoader<string, Model>(async (ids) =>
    byId(await this.prisma.$queryRaw<Model[]>`SELECT * FROM "Model" WHERE "id" IN (${Prisma.join(ids)})`),
  );
  private readonly recentModels = new ExpiringCache<string, Model | undefined>(MODEL_MAX_AGE_MS);
  private readonly versionsOfModels = new BatchLoader<string, ModelVersion[]>(async (modelIds) =>
    groupBy(
      await this.prisma.modelVersion.findMany({
        where: { modelId: { in: [...modelIds] } },
        orderBy: { version: 'desc' },
      }),
      (version) => version.modelId,
    ),
  );
  private readonly versionsById = new BatchLoader<string, ModelVersion>(async (ids) =>
    byId(await this.prisma.modelVersion.findMany({ where: { id: { in: [...ids] } } })),
  );
  private readonly aliasesOfModels = new BatchLoader<string, ModelAlias[]>(async (modelIds) =>
    groupBy(
      await this.prisma.modelAlias.findMany({ where: { modelId: { in: [...modelIds] } }, orderBy: { alias: 'asc' } }),
      (alias) => alias.modelId,
    ),
  );
  private readonly aliasesOfVersions = new BatchLoader<string, ModelAlias[]>(async (versionIds) =>
    groupBy(
      await this.prisma.modelAlias.findMany({
        where: { versionId: { in: [...versionIds] } },
        orderBy: { alias: 'asc' },
      }),
      (alias) => alias.versionId,
    ),
  );
  // One count per model, each over its range of the (modelId, createdAt, id) index: a GROUP BY over the models'
  // runs reads every run of the table when the list holds every model.
  private readonly runCounts = new BatchLoader<string, number>(async (modelIds) => {
    const counts = await this.prisma.$queryRaw<{ id: string; count: number }[]>`
      SELECT "model"."id", (SELECT count(*)::int FROM "Run" WHERE "Run"."modelId" = "model"."id") AS "count"
      FROM "Model" AS "model" WHERE "model"."id" IN (${Prisma.join(modelIds)})`;
    return new Map(counts.map(({ id, count }) => [id, count]));
  });
  /** By page size: one batch asks for the same number of runs of every model. */
  private readonly newestRuns = new Map<number, BatchLoader<string, Run[]>>();

  constructor(private readonly prisma: PrismaClient) {}

  /** All models, newest first. */
  list(): Promise<Model[]> {
    return this.prisma.$queryRaw<Model[]>`SELECT * FROM "Model" ORDER BY "createdAt" DESC, "id" DESC`;
  }

  find(key: ModelKey): Promise<Model | null> {
    return this.prisma.model.findUnique({ where: key });
  }

  /** A model that a stored row refers to, so it exists; as read up to MODEL_MAX_AGE_MS ago. */
  async get(id: string): Promise<Model> {
    return referenced('model', id, await this.recentModels.get(id, () => this.models.load(id)));
  }

  /** The model's registered versions, newest first. */
  async versions(modelId: string): Promise<ModelVersion[]> {
    return (await this.versionsOfModels.load(modelId)) ?? [];
  }

  async findVersion(id: string): Promise<ModelVersion | null> {
    return (await this.versionsById.load(id)) ?? null;
  }

  /** A version that a stored row refers to, so it exists. */
  async getVersion(id: string): Promise<ModelVersion> {
    return referenced('model version', id, await this.versionsById.load(id));
  }

  /** The model's aliases, by name. */
  async aliases(modelId: string): Promise<ModelAlias[]> {
    return (await this.aliasesOfModels.load(modelId)) ?? [];
  }

  /** The names of the aliases that point at a version, sorted. */
  async aliasNamesOfVersion(versionId: string): Promise<string[]> {
    return ((await this.aliasesOfVersions.load(versionId)) ?? []).map((alias) => alias.alias);
  }

  /** How many runs trained the model. */
  async runCount(modelId: string): Promise<number> {
    return (await this.runCounts.load(modelId)) ?? 0;
  }

  /** The model's newest runs, at most `first` (1 to 100). */
  async runs(modelId: string, first: number): Promise<Run[]> {
    const limit = checkPageSize('first', first);
    let loader = this.newestRuns.get(limit);
    if (!loader) {
      loader = new BatchLoader((modelIds) => this.loadNewestRuns(modelIds, limit));
      this.newestRuns.set(limit, loader);
    }
    return (await loader.load(modelId)) ?? [];
  }

  /**
   * The newest `limit` runs of each model, in one statement however many models: for each model, the first `limit`
   * entries of its range of the (modelId, createdAt, id) index. (A nested `take` in Prisma reads every run of the
   * models and cuts the lists in memory.)
   */
  private async loadNewestRuns(modelIds: readonly string[], limit: number): Promise<Map<string, Run[]>> {
    const runs = await this.prisma.$queryRaw<Run[]>`
      SELECT "run".* FROM "Model" AS "model"
      CROSS JOIN LATERAL (
        SELECT * FROM "Run" WHERE "Run"."modelId" = "model"."id" ORDER BY "createdAt" DESC, "id" DESC LIMIT ${limit}
      ) AS "run"
      WHERE "model"."id" IN (${Prisma.join(modelIds)})
      ORDER BY "run"."modelId", "run"."createdAt" DESC, "run"."id" DESC`;
    return groupBy(runs, (run) => run.modelId);
  }

  async create(input: CreateModelInput): Promise<Model> {
    const data = ModelService.rowOf(input);
    try {
      return await this.prisma.model.create({ data });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw conflict(`A model named '${data.name}' already exists; choose another name.`);
      }
      throw error;
    }
  }

  /**
   * Deletes a model that nothing uses and returns its id. Its runs' metrics and checkpoints refer to it, so a model
   * with runs stays (deleteRun removes them); so does one with versions (deleteModelVersion removes them).
   */
  async delete(id: string): Promise<string> {
    return this.prisma.$transaction(async (transaction) => {
      // Locked, so that a run or version created meanwhile waits for this answer and then fails on the foreign key,
      // instead of slipping in between the counts and the delete.
      const [model] = await transaction.$queryRaw<Model[]>`SELECT * FROM "Model" WHERE "id" = ${id} FOR UPDATE`;
      if (!model) throw notFound('model', id);
      const runs = await transaction.run.count({ where: { modelId: id } });
      if (runs > 0) {
        throw conflict(
          `Model '${model.name}' cannot be deleted: ${plural(runs, 'run')} trained it, and their metrics and ` +
            'checkpoints refer to it; delete them with deleteRun first.',
        );
      }
      const versions = await transaction.modelVersion.count({ where: { modelId: id } });
      if (versions > 0) {
        throw conflict(
          `Model '${model.name}' cannot be deleted: it has ${plural(versions, 'version')}; delete them with ` +
            'deleteModelVersion first.',
        );
      }
      await transaction.model.delete({ where: { id } });
      return id;
    });
  }

  /** The row of a new model, checked: a valid name and an architecture that @resnet-lab/resnet can build. */
  static rowOf(input: CreateModelInput): Prisma.ModelCreateInput {
    const name = checkName('name', input.name);
    let summary: ResNetSummary;
    try {
      const config = resolveResNetConfig({
        arch: input.arch,
        stem: input.stem ?? undefined,
        width: input.width ?? undefined,
        classes: input.classes ?? undefined,
        inputSize: input.inputSize ?? undefined,
      });
      summary = summarizeResNet(config);
    } catch (error) {
      if (error instanceof ResNetConfigError) {
        throw badUserInput(error.field, error.message, (input as unknown as Record<string, unknown>)[error.field]);
      }
      throw error;
    }
    return {
      name,
      description: input.description ?? '',
      arch: summary.arch,
      stem: summary.stem,
      width: summary.width,
      classes: summary.classes,
      inputSize: summary.inputSize,
      parameterCount: BigInt(summary.trainableParams),
      macs: BigInt(summary.macs),
    };
  }

  /** The per-stage table of a stored model's architecture. */
  static summarize(model: Model): ResNetSummary {
    return summarizeResNet({
      arch: model.arch,
      stem: model.stem,
      width: model.width,
      classes: model.classes,
      inputSize: model.inputSize,
    });
  }
}

/** '1 run', '2 runs'. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
