// Checkpoints: the checkpoints of runs, their promotion into a model's registry, and evaluation on a dataset in a
// worker process (EvaluationWorkers).
import { exportSafetensors, type EvalSplit, type Evaluation as TrainerEvaluation } from '@resnet-lab/trainer';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { badUserInput, conflict, notFound } from '../errors.js';
import type {
  Checkpoint,
  Dataset,
  ModelVersion,
  Prediction,
  Prisma,
  PrismaClient,
} from '../generated/prisma/client.js';
import { EvaluationWorkers, type WorkerEvaluation } from '../training/evaluation-workers.js';
import { startWorkerProcess } from '../training/worker-process.js';
import { BatchLoader, byId, groupBy, referenced } from './batch-loader.js';
import { checkDatasetFits } from './dataset-fit.js';
import { DatasetService } from './dataset-service.js';
import { OneAtATime } from './one-at-a-time.js';
import { isUniqueViolation } from './prisma-errors.js';
import { storedTrainConfig } from './stored-train-config.js';
import { checkVersionDescription } from './model-registry-service.js';
import { checkAliasName } from './names.js';
import { checkPageSize } from './page-size.js';

export interface PromoteInput {
  readonly checkpointId: string;
  readonly aliases?: readonly string[] | null;
  readonly description?: string | null;
}

/** evaluateCheckpoint's split, as the GraphQL enum EvaluationSplit names it. */
export type EvaluationSplitName = 'TEST' | 'TRAIN' | 'ALL';

export interface EvaluateInput {
  readonly checkpointId: string;
  readonly datasetName?: string | null;
  /** Default TEST. */
  readonly split?: EvaluationSplitName | null;
}

export interface CheckpointEvaluation {
  readonly checkpoint: Checkpoint;
  readonly dataset: Dataset;
  readonly split: EvaluationSplitName;
  readonly evaluation: TrainerEvaluation;
  readonly durationSeconds: number;
}

/** Attempts at taking the next version number when concurrent promotions race for it. */
const PROMOTE_ATTEMPTS = 5;

export class CheckpointService {
  // The loaders batch the lookups that a list of runs, versions or predictions makes once per item.
  private readonly checkpoints = new BatchLoader<string, Checkpoint>(async (ids) =>
    byId(await this.prisma.checkpoint.findMany({ where: { id: { in: [...ids] } } })),
  );
  private readonly checkpointsOfRuns = new BatchLoader<string, Checkpoint[]>(async (runIds) =>
    groupBy(
      await this.prisma.checkpoint.findMany({ where: { runId: { in: [...runIds] } }, orderBy: { epoch: 'asc' } }),
      (checkpoint) => checkpoint.runId,
    ),
  );
  private readonly versionsOfCheckpoints = new BatchLoader<string, ModelVersion[]>(async (checkpointIds) =>
    groupBy(
      await this.prisma.modelVersion.findMany({
        where: { checkpointId: { in: [...checkpointIds] } },
        orderBy: { version: 'asc' },
      }),
      (version) => version.checkpointId,
    ),
  );

  constructor(
    private readonly prisma: PrismaClient,
    private readonly artifacts: ArtifactStore,
    private readonly datasets: DatasetService,
    private readonly options: {
      /** Where evaluations run; default: a new worker process each, none kept. */
      readonly evaluationWorkers?: EvaluationWorkers;
      /** Loads the compute backend, once, before a conversion to safetensors; default: tfjs's own choice. */
      readonly loadBackend?: () => Promise<unknown>;
    } = {},
  ) {}

  async find(id: string): Promise<Checkpoint | null> {
    return (await this.checkpoints.load(id)) ?? null;
  }

  /** A checkpoint that a stored row refers to, so it exists. */
  async get(id: string): Promise<Checkpoint> {
    return referenced('checkpoint', id, await this.checkpoints.load(id));
  }

  /** A run's checkpoints, in epoch order. */
  async ofRun(runId: string): Promise<Checkpoint[]> {
    return (await this.checkpointsOfRuns.load(runId)) ?? [];
  }

  /** The run's checkpoint with the highest test accuracy (the earliest of equals); null when none has one. */
  async bestOfRun(runId: string): Promise<Checkpoint | null> {
    let best: Checkpoint | null = null;
    for (const checkpoint of await this.ofRun(runId)) {
      if (checkpoint.testAccuracy !== null && (best === null || checkpoint.testAccuracy > best.testAccuracy!)) {
        best = checkpoint;
      }
    }
    return best;
  }

  /** The run's checkpoint of the last epoch. */
  async latestOfRun(runId: string): Promise<Checkpoint | null> {
    return (await this.ofRun(runId)).at(-1) ?? null;
  }

  /** Model versions promoted from the checkpoint, oldest first. */
  async versions(checkpointId: string): Promise<ModelVersion[]> {
    return (await this.versionsOfCheckpoints.load(checkpointId)) ?? [];
  }

  /** Predictions made with the checkpoint, newest first, at most `first` (1 to 100). */
  async predictions(checkpointId: string, first: number): Promise<Prediction[]> {
    if (!(await this.find(checkpointId))) throw notFound('checkpoint', checkpointId);
    return this.prisma.prediction.findMany({
      where: { checkpointId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: checkPageSize('first', first),
    });
  }

  async findAvailable(id: string): Promise<Checkpoint> {
    const checkpoint = await this.prisma.checkpoint.findUnique({ where: { id } });
    if (!checkpoint) throw notFound('checkpoint', id);
    if (checkpoint.prunedAt) {
      throw conflict(
        `Checkpoint ${id} (epoch ${checkpoint.epoch}) was pruned: only each run's latest and best checkpoints, ` +
          'and promoted versions, keep their files.',
      );
    }
    return checkpoint;
  }

  /**
   * The weights of the checkpoint directory at `directory` (a local path) as a PyTorch state_dict in safetensors,
   * with the architecture and class names in its metadata.
   */
  async exportSafetensors(directory: string): Promise<Uint8Array> {
    // One conversion at a time: each holds the model and about four copies of its weights on the API's thread, so
    // concurrent downloads of a large model queue instead of multiplying that.
    return this.conversions.run(async () => {
      await this.options.loadBackend?.();
      return exportSafetensors(directory);
    });
  }

  private readonly conversions = new OneAtATime();

  /**
   * The checkpoint's version in its model's registry, with the given aliases pointed at it. The first promotion copies
   * the checkpoint into the registry as the model's next version. Promoting it again copies nothing: it returns the
   * version it has (the newest, should it have several from before promotion was idempotent), moves the given aliases
   * to it and, when a description is given, replaces the version's, as setModelAlias and updateModelVersion would;
   * it does so even when the checkpoint's own files were pruned since, as the registry keeps a copy.
   */
  async promote(input: PromoteInput): Promise<ModelVersion> {
    const aliases = [...new Set((input.aliases ?? []).map((alias) => checkAliasName('aliases', alias)))];
    const description = checkVersionDescription('description', input.description);
    // One at a time in this process: two at once (a double click on Promote) would both copy to the next version's
    // location before either records it.
    return this.promotions.run(() => this.register(input.checkpointId, aliases, description));
  }

  private readonly promotions = new OneAtATime();

  /** promote, once the input is checked. */
  private async register(
    checkpointId: string,
    aliases: readonly string[],
    description: string | null,
  ): Promise<ModelVersion> {
    const existing = await this.prisma.modelVersion.findFirst({
      where: { checkpointId },
      orderBy: { version: 'desc' },
    });
    if (existing) {
      return this.prisma.$transaction((transaction) => pointAt(transaction, existing, aliases, description));
    }
    const checkpoint = await this.findAvailable(checkpointId);
    const run = await this.prisma.run.findUniqueOrThrow({ where: { id: checkpoint.runId }, include: { model: true } });
    for (let attempt = 1; ; attempt++) {
      const latest = await this.prisma.modelVersion.findFirst({
        where: { modelId: run.modelId },
        orderBy: { version: 'desc' },
      });
      const version = (latest?.version ?? 0) + 1;
      const location = `registry/${run.model.name}/v${version}`;
      // A promotion that raced for this version number and lost may have left its copy.
      await this.artifacts.remove(location);
      await this.artifacts.copy(checkpoint.location, location);
      let promoted: { version: ModelVersion; created: boolean };
      try {
        promoted = await this.prisma.$transaction(async (transaction) => {
          // Locked, so that of two promotions of one checkpoint at once (by two API processes), the second waits for
          // the first's version and returns it.
          await transaction.$queryRaw`SELECT "id" FROM "Checkpoint" WHERE "id" = ${checkpoint.id} FOR UPDATE`;
          const earlier = await transaction.modelVersion.findFirst({
            where: { checkpointId: checkpoint.id },
            orderBy: { version: 'desc' },
          });
          if (earlier) return { version: await pointAt(transaction, earlier, aliases, description), created: false };
          const created = await transaction.modelVersion.create({
            data: {
              modelId: run.modelId,
              version,
              checkpointId: checkpoint.id,
              description: description ?? '',
              location,
            },
          });
          return { version: await pointAt(transaction, created, aliases, null), created: true };
        });
      } catch (error) {
        // Another promotion took this number: the files at its location are that version's now.
        if (isUniqueViolation(error)) {
          if (attempt < PROMOTE_ATTEMPTS) continue;
          throw error;
        }
        // No version refers to the copy: remove it rather than leave files that nothing owns.
        await this.artifacts.remove(location).catch((removal: unknown) => {
          throw new AggregateError([error, removal], `Promotion failed, and removing its copy ${location} failed.`);
        });
        throw error;
      }
      // Another promotion of the checkpoint made its version first: this copy is nobody's.
      if (!promoted.created) await this.artifacts.remove(location);
      return promoted.version;
    }
  }

  /**
   * Deletes a model version and returns its id: its aliases go with it, predictions made with it keep their
   * checkpoint and lose the version, and its registry files are removed once that is committed.
   */
  async deleteVersion(id: string): Promise<string> {
    const version = await this.prisma.$transaction(async (transaction) => {
      const [row] = await transaction.$queryRaw<ModelVersion[]>`
        SELECT * FROM "ModelVersion" WHERE "id" = ${id} FOR UPDATE`;
      if (!row) throw notFound('model version', id);
      await transaction.modelAlias.deleteMany({ where: { versionId: id } });
      await transaction.prediction.updateMany({ where: { modelVersionId: id }, data: { modelVersionId: null } });
      await transaction.modelVersion.delete({ where: { id } });
      return row;
    });
    await this.artifacts.remove(version.location);
    return id;
  }

  /**
   * Evaluates in a worker process, after checking everything a client can get wrong: the checkpoint (NOT_FOUND,
   * CONFLICT when pruned) and the dataset (BAD_USER_INPUT on datasetName when unknown, unreadable, with other
   * classes or image size, or without test images for the TEST split), so that a failure of the worker is the
   * server's own.
   */
  async evaluate(input: EvaluateInput): Promise<CheckpointEvaluation> {
    const split = input.split ?? 'TEST';
    const checkpoint = await this.findAvailable(input.checkpointId);
    const run = await this.prisma.run.findUniqueOrThrow({
      where: { id: checkpoint.runId },
      include: { dataset: true, model: true },
    });
    let dataset = run.dataset;
    if (input.datasetName) {
      const named = await this.prisma.dataset.findUnique({ where: { name: input.datasetName } });
      if (!named) throw badUserInput('datasetName', `No dataset named '${input.datasetName}'.`, input.datasetName);
      if (named.classNames.join('\n') !== run.dataset.classNames.join('\n')) {
        throw badUserInput(
          'datasetName',
          `Dataset '${named.name}' has classes [${named.classNames.join(', ')}], the checkpoint ` +
            `[${run.dataset.classNames.join(', ')}]: they must be the same, in the same order.`,
          input.datasetName,
        );
      }
      dataset = named;
    }
    await checkDatasetFits(this.datasets, run.model, dataset);
    const { testFraction } = storedTrainConfig(run.config);
    if (split === 'TEST' && (dataset.testSize === 0 || (dataset.testSize === null && testFraction === 0))) {
      throw badUserInput(
        'datasetName',
        `Dataset '${dataset.name}' has no test images to evaluate on` +
          (dataset.testSize === null ? ` (no test split, and the run's testFraction is 0)` : '') +
          '; evaluate split TRAIN or ALL instead.',
        dataset.name,
      );
    }
    const result = await this.runEvaluation(
      this.artifacts.resolve(checkpoint.location),
      dataset,
      split.toLowerCase() as EvalSplit,
    );
    return { checkpoint, dataset, split, ...result };
  }

  /** The evaluation workers when none were given: a process each, none kept, so that none needs stopping. */
  private ownWorkers: EvaluationWorkers | null = null;

  private runEvaluation(checkpointLocation: string, dataset: Dataset, split: EvalSplit): Promise<WorkerEvaluation> {
    const workers =
      this.options.evaluationWorkers ??
      (this.ownWorkers ??= new EvaluationWorkers({ startWorker: startWorkerProcess, idleSeconds: 0 }));
    return workers.evaluate({
      type: 'evaluate',
      checkpoint: checkpointLocation,
      dataset: DatasetService.spec(dataset, this.datasets.cacheDir),
      split,
    });
  }
}

/** Moves the aliases to the version and, when one is given, replaces its description; returns the version. */
async function pointAt(
  transaction: Prisma.TransactionClient,
  version: ModelVersion,
  aliases: readonly string[],
  description: string | null,
): Promise<ModelVersion> {
  for (const alias of aliases) {
    await transaction.modelAlias.upsert({
      where: { modelId_alias: { modelId: version.modelId, alias } },
      create: { modelId: version.modelId, alias, versionId: version.id },
      update: { versionId: version.id },
    });
  }
  if (description === null || description === version.description) return version;
  return transaction.modelVersion.update({ where: { id: version.id }, data: { description } });
}
