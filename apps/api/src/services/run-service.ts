// Runs: what a client may start, resume and cancel, checked and put in the queue.
import { randomUUID } from 'node:crypto';
import { TrainConfigError, resolveTrainConfig, type TrainConfig, type TrainConfigInput } from '@resnet-lab/trainer';
import { badUserInput, conflict, notFound } from '../errors.js';
import { FINAL_STATUSES, type RunEvents } from '../events/run-events.js';
import { RUN_CONTROL_CHANNEL } from '../events/run-notification.js';
import type { Checkpoint, Dataset, Model, Prisma, PrismaClient, Run } from '../generated/prisma/client.js';
import { dequeueRun, enqueueRun } from '../queue/run-queue.js';
import { checkDatasetFits } from './dataset-fit.js';
import type { DatasetService } from './dataset-service.js';
import { checkDisplayName, MAX_DISPLAY_NAME_LENGTH } from './names.js';
import { isForeignKeyViolation, isRecordNotFound } from './prisma-errors.js';
import { checkRunNotes, checkRunTags } from './run-annotations.js';
import { notify } from './run-recorder.js';
import { storedTrainConfig } from './stored-train-config.js';

/** Hyperparameters a client may set; the model and dataset supply the rest of the trainer's config. */
export const HYPERPARAMETER_FIELDS = [
  'epochs',
  'batchSize',
  'learningRate',
  'momentum',
  'weightDecay',
  'nesterov',
  'schedule',
  'stepSize',
  'milestones',
  'gamma',
  'augment',
  'normalization',
  'init',
  'seed',
  'backend',
  'testFraction',
  'limitPerClass',
] as const satisfies readonly (keyof TrainConfig)[];

/** As clients send them: resolveTrainConfig checks types, ranges and allowed values. */
export type Hyperparameters = { readonly [Field in (typeof HYPERPARAMETER_FIELDS)[number]]?: unknown };

export interface StartRunInput extends Hyperparameters {
  readonly modelName: string;
  readonly datasetName: string;
  readonly name?: string | null;
  readonly tags?: readonly string[] | null;
  readonly notes?: string | null;
}

/** What updateRun changes: the fields given (not null) replace the run's. */
export interface UpdateRunInput {
  readonly id: string;
  readonly name?: string | null;
  readonly tags?: readonly string[] | null;
  readonly notes?: string | null;
}

export interface ResumeRunInput {
  readonly runId: string;
  readonly checkpointId?: string | null;
  readonly epochs?: number | null;
}

/** How long cancelRun waits for a running run to reach a batch boundary before answering. */
const CANCEL_WAIT_MS = 60_000;

/**
 * Starting, resuming and cancelling runs: checks, then the run row and its queue job in one transaction. Workers on
 * any machine claim and train them (worker/run-worker.ts); their progress reaches subscribers through PostgreSQL.
 */
export class RunService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly datasets: DatasetService,
    private readonly events: RunEvents,
  ) {}

  async start(input: StartRunInput): Promise<Run> {
    const model = await this.prisma.model.findUnique({ where: { name: input.modelName } });
    if (!model)
      throw badUserInput(
        'modelName',
        `No model named '${input.modelName}'. Create it with createModel first.`,
        input.modelName,
      );
    const dataset = await this.prisma.dataset.findUnique({ where: { name: input.datasetName } });
    if (!dataset) {
      const names = (await this.prisma.dataset.findMany({ select: { name: true }, orderBy: { name: 'asc' } })).map(
        (d) => d.name,
      );
      throw badUserInput(
        'datasetName',
        `No dataset named '${input.datasetName}'. Registered: ${names.join(', ')}.`,
        input.datasetName,
      );
    }
    await checkDatasetFits(this.datasets, model, dataset);
    const config = this.resolveConfig(model, dataset, input);
    const name = checkDisplayName('name', input.name);
    const tags = checkRunTags('tags', input.tags ?? []);
    const notes = checkRunNotes('notes', input.notes ?? '');
    const count = await this.prisma.run.count({ where: { modelId: model.id } });
    return this.enqueue({
      name: name ?? `${model.name} #${count + 1}`,
      model,
      dataset,
      config,
      resumedFrom: null,
      tags,
      notes,
    });
  }

  /** Renames the run or replaces its tags or notes, in any status; runUpdated subscribers receive the result. */
  async update(input: UpdateRunInput): Promise<Run> {
    const data: Prisma.RunUpdateInput = {};
    if (input.name !== undefined && input.name !== null) data.name = checkRequiredDisplayName('name', input.name);
    if (input.tags !== undefined && input.tags !== null) data.tags = checkRunTags('tags', input.tags);
    if (input.notes !== undefined && input.notes !== null) data.notes = checkRunNotes('notes', input.notes);
    try {
      return await this.prisma.$transaction(async (transaction) => {
        const updated = await transaction.run.update({ where: { id: input.id }, data });
        await notify(transaction, { kind: 'updated', runId: input.id });
        return updated;
      });
    } catch (error) {
      if (isRecordNotFound(error)) throw notFound('run', input.id);
      throw error;
    }
  }

  async resume(input: ResumeRunInput): Promise<Run> {
    const source = await this.prisma.run.findUnique({
      where: { id: input.runId },
      include: { model: true, dataset: true },
    });
    if (!source) throw notFound('run', input.runId);
    if (!FINAL_STATUSES.has(source.status)) {
      throw conflict(`Run ${source.id} is ${source.status}; only a finished run can be resumed.`);
    }
    const checkpoint = input.checkpointId
      ? await this.prisma.checkpoint.findUnique({ where: { id: input.checkpointId } })
      : await this.prisma.checkpoint.findFirst({
          where: { runId: source.id, prunedAt: null },
          orderBy: { epoch: 'desc' },
        });
    if (input.checkpointId && !checkpoint) throw notFound('checkpoint', input.checkpointId);
    if (!checkpoint) throw conflict(`Run ${source.id} has no checkpoint to resume from: it never finished an epoch.`);
    if (checkpoint.runId !== source.id) {
      throw badUserInput(
        'checkpointId',
        `Checkpoint ${checkpoint.id} belongs to run ${checkpoint.runId}, not ${source.id}.`,
      );
    }
    if (checkpoint.prunedAt)
      throw conflict(`Checkpoint ${checkpoint.id} (epoch ${checkpoint.epoch}) was pruned; its files are gone.`);
    const sourceConfig = storedTrainConfig(source.config);
    // Checked as startRun checks it (range, integer), then against the checkpoint.
    const config = checkedTrainConfig({ ...sourceConfig, epochs: input.epochs ?? sourceConfig.epochs });
    if (config.epochs <= checkpoint.epoch) {
      throw badUserInput(
        'epochs',
        `Expected epochs to be an integer above the checkpoint's epoch ${checkpoint.epoch}, got ${config.epochs}.`,
        config.epochs,
      );
    }
    return this.enqueue({
      name: `${source.name} (resumed from epoch ${checkpoint.epoch})`,
      model: source.model,
      dataset: source.dataset,
      config,
      resumedFrom: checkpoint,
      // The same experiment, continued: found by the same tags.
      tags: source.tags,
    });
  }

  async cancel(id: string): Promise<Run> {
    const run = await this.prisma.run.findUnique({ where: { id } });
    if (!run) throw notFound('run', id);
    if (FINAL_STATUSES.has(run.status)) {
      throw conflict(`Run ${id} is already ${run.status}; only QUEUED or RUNNING runs can be cancelled.`);
    }
    // Subscribe before asking, so that the final status cannot slip by unseen.
    const progress = this.events.subscribeProgress(id);
    try {
      const cancelledInQueue = await this.prisma.$transaction(async (transaction) => {
        const { count } = await transaction.run.updateMany({
          where: { id, status: 'QUEUED' },
          data: { status: 'CANCELLED', finishedAt: new Date(), cancelRequestedAt: new Date() },
        });
        if (count === 0) return false;
        await dequeueRun(transaction, id);
        await notify(transaction, { kind: 'status', runId: id });
        return true;
      });
      if (!cancelledInQueue) {
        // Training somewhere: its worker stops at the next batch boundary. Answering after it has makes the result
        // the final state.
        await this.prisma.run.update({ where: { id }, data: { cancelRequestedAt: new Date() } });
        await this.prisma.$executeRaw`SELECT pg_notify(${RUN_CONTROL_CHANNEL}, ${id})`;
        const deadline = setTimeout(() => progress.close(), CANCEL_WAIT_MS);
        for await (const event of progress) {
          if (event.__typename === 'RunStatusChanged' && FINAL_STATUSES.has(event.status)) break;
        }
        clearTimeout(deadline);
      }
    } finally {
      progress.close();
    }
    return this.prisma.run.findUniqueOrThrow({ where: { id } });
  }

  /** Queues again the QUEUED runs that have no job (left by an earlier version's in-memory queue). */
  async ensureQueued(): Promise<void> {
    const queued = await this.prisma.run.findMany({
      where: { status: 'QUEUED' },
      orderBy: { createdAt: 'asc' },
      select: { id: true },
    });
    for (const { id } of queued) {
      await this.prisma.$transaction((transaction) => enqueueRun(transaction, id, { keepPlace: true }));
    }
  }

  private resolveConfig(model: Model, dataset: Dataset, input: Hyperparameters): TrainConfig {
    const hyperparameters: Record<string, unknown> = {};
    for (const field of HYPERPARAMETER_FIELDS) {
      const value = input[field];
      if (value !== undefined && value !== null) hyperparameters[field] = value;
    }
    return checkedTrainConfig({
      ...(hyperparameters as TrainConfigInput),
      data: dataset.location,
      arch: model.arch,
      stem: model.stem,
      width: model.width,
    });
  }

  private async enqueue(run: {
    name: string;
    model: Model;
    dataset: Dataset;
    config: TrainConfig;
    resumedFrom: Checkpoint | null;
    tags?: readonly string[];
    notes?: string;
  }): Promise<Run> {
    const id = randomUUID();
    try {
      return await this.queueRow(id, run);
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      throw conflict(
        `Model '${run.model.name}' or dataset '${run.dataset.name}' was deleted while the run was being queued; ` +
          'nothing was queued.',
      );
    }
  }

  private queueRow(id: string, run: Parameters<RunService['enqueue']>[0]): Promise<Run> {
    return this.prisma.$transaction(async (transaction) => {
      const created = await transaction.run.create({
        data: {
          id,
          name: run.name,
          modelId: run.model.id,
          datasetId: run.dataset.id,
          config: run.config as unknown as Prisma.InputJsonObject,
          epochs: run.config.epochs,
          outputDir: `runs/${id}`,
          currentEpoch: run.resumedFrom?.epoch ?? 0,
          resumedFromCheckpointId: run.resumedFrom?.id ?? null,
          tags: [...(run.tags ?? [])],
          notes: run.notes ?? '',
        },
      });
      await enqueueRun(transaction, id);
      await notify(transaction, { kind: 'updated', runId: id });
      return created;
    });
  }
}

/** A new display name: as startRun's, but one must be given. */
function checkRequiredDisplayName(field: string, name: string): string {
  const checked = checkDisplayName(field, name);
  if (checked === null) {
    throw badUserInput(
      field,
      `Expected ${field} to be 1 to ${MAX_DISPLAY_NAME_LENGTH} characters after trimming, got none.`,
      name,
    );
  }
  return checked;
}

/**
 * The trainer's config; its validation errors become BAD_USER_INPUT naming the field and the value given, e.g.
 * "Expected epochs to be an integer from 1 to 10000, got 1000000000." for startRun and resumeRun alike.
 */
function checkedTrainConfig(input: TrainConfigInput): TrainConfig {
  try {
    return resolveTrainConfig(input);
  } catch (error) {
    if (error instanceof TrainConfigError) {
      throw badUserInput(error.field, error.message, (input as Record<string, unknown>)[error.field]);
    }
    throw error;
  }
}
