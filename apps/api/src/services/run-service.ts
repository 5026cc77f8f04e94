// Runs: validation, the queue, worker processes and the persistence of what they report.
//
// Every worker message is handled in arrival order through one promise chain per run, so the database and the
// subscribers see a run's events in the order the worker emitted them.
import fs from 'node:fs/promises';
import * as os from 'node:os';
import path from 'node:path';
import {
  TrainConfigError,
  resolveTrainConfig,
  type TrainConfig,
  type TrainConfigInput,
  type TrainingEvent,
} from '@resnet-lab/trainer';
import { badUserInput, conflict, notFound } from '../errors.js';
import { FINAL_STATUSES, statusChanged, type RunEvents } from '../events/run-events.js';
import type { Checkpoint, Dataset, Model, Prisma, PrismaClient, Run } from '../generated/prisma/client.js';
import {
  describeUnexpectedExit,
  threadsPerRun,
  workerStarter,
  type StartWorker,
  type WorkerHandle,
} from '../training/worker-process.js';
import type { SavedCheckpoint, WorkerMessage } from '../training/worker-protocol.js';
import { DatasetService } from './dataset-service.js';

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
}

export interface ResumeRunInput {
  readonly runId: string;
  readonly checkpointId?: string | null;
  readonly epochs?: number | null;
}

/** Batch progress is written to the database (and `runUpdated` fires) at most this often; subscribers get all. */
const PROGRESS_WRITE_INTERVAL_MS = 1000;
/** How long cancelRun waits for a running worker to reach a batch boundary before answering. */
const CANCEL_WAIT_MS = 60_000;

interface ActiveRun {
  readonly worker: WorkerHandle;
  /** Settles when the run's final status is stored and published. */
  readonly finished: Promise<void>;
  cancelRequested: boolean;
}

export class RunService {
  private readonly queue: string[] = [];
  private readonly active = new Map<string, ActiveRun>();
  private stopping = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly datasets: DatasetService,
    private readonly events: RunEvents,
    private readonly options: {
      readonly dataDir: string;
      readonly concurrency: number;
      readonly startWorker?: StartWorker;
      readonly log?: (message: string) => void;
    },
  ) {
    this.startRunWorker = workerStarter(threadsPerRun(options.concurrency, os.availableParallelism(), process.env));
  }

  /** Starts a run's worker with its share of the cores (threadsPerRun). */
  private readonly startRunWorker: StartWorker;

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
    await this.checkCompatible(model, dataset);
    const config = this.resolveConfig(model, dataset, input);
    const count = await this.prisma.run.count({ where: { modelId: model.id } });
    return this.enqueue({
      name: input.name?.trim() || `${model.name} #${count + 1}`,
      model,
      dataset,
      config,
      resumedFrom: null,
    });
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
    const sourceConfig = source.config as unknown as TrainConfig;
    const epochs = input.epochs ?? sourceConfig.epochs;
    if (!Number.isInteger(epochs) || epochs <= checkpoint.epoch) {
      throw badUserInput(
        'epochs',
        `Expected epochs to be an integer above the checkpoint's epoch ${checkpoint.epoch}, got ${epochs}.`,
        epochs,
      );
    }
    const config = resolveTrainConfig({ ...sourceConfig, epochs });
    return this.enqueue({
      name: `${source.name} (resumed from epoch ${checkpoint.epoch})`,
      model: source.model,
      dataset: source.dataset,
      config,
      resumedFrom: checkpoint,
    });
  }

  async cancel(id: string): Promise<Run> {
    const run = await this.prisma.run.findUnique({ where: { id } });
    if (!run) throw notFound('run', id);
    if (FINAL_STATUSES.has(run.status)) {
      throw conflict(`Run ${id} is already ${run.status}; only QUEUED or RUNNING runs can be cancelled.`);
    }
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      return this.finish(id, { status: 'CANCELLED', errorMessage: null });
    }
    const active = this.active.get(id);
    if (active) {
      active.cancelRequested = true;
      active.worker.send({ type: 'cancel' });
      // The worker stops at the next batch boundary; answering after it has makes the result the final state.
      await Promise.race([active.finished, new Promise((resolve) => setTimeout(resolve, CANCEL_WAIT_MS).unref())]);
    }
    return this.prisma.run.findUniqueOrThrow({ where: { id } });
  }

  /**
   * At start-up: runs left RUNNING by a previous process that stopped are marked FAILED (resumable from their last
   * checkpoint), and runs left QUEUED are queued again in their original order.
   */
  async recover(): Promise<void> {
    const interrupted = await this.prisma.run.findMany({ where: { status: 'RUNNING' } });
    for (const run of interrupted) {
      const last = await this.prisma.checkpoint.findFirst({
        where: { runId: run.id, prunedAt: null },
        orderBy: { epoch: 'desc' },
      });
      const resumable = last
        ? `Resume it from its epoch ${last.epoch} checkpoint with resumeRun.`
        : 'It had no checkpoint yet; start it again.';
      await this.finish(run.id, {
        status: 'FAILED',
        errorMessage: `Interrupted: the API stopped while this run was training. ${resumable}`,
      });
    }
    const queued = await this.prisma.run.findMany({ where: { status: 'QUEUED' }, orderBy: { createdAt: 'asc' } });
    this.queue.push(...queued.map((run) => run.id));
    this.pump();
  }

  /** Stops accepting work and stops every worker; their runs end FAILED as interrupted, as after a crash. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
    for (const [, active] of this.active) active.worker.kill('SIGTERM');
    await Promise.all([...this.active.values()].map((active) => active.finished));
  }

  private resolveConfig(model: Model, dataset: Dataset, input: Hyperparameters): TrainConfig {
    const hyperparameters: Record<string, unknown> = {};
    for (const field of HYPERPARAMETER_FIELDS) {
      const value = input[field];
      if (value !== undefined && value !== null) hyperparameters[field] = value;
    }
    try {
      return resolveTrainConfig({
        ...(hyperparameters as TrainConfigInput),
        data: dataset.location,
        arch: model.arch,
        stem: model.stem,
        width: model.width,
      });
    } catch (error) {
      if (error instanceof TrainConfigError)
        throw badUserInput(error.field, error.message, hyperparameters[error.field]);
      throw error;
    }
  }

  private async checkCompatible(model: Model, dataset: Dataset): Promise<void> {
    const availability = await this.datasets.availability(dataset);
    if (!availability.available) {
      throw badUserInput(
        'datasetName',
        `Dataset '${dataset.name}' is not available: ${availability.reason}`,
        dataset.name,
      );
    }
    if (dataset.classNames.length !== model.classes) {
      throw badUserInput(
        'datasetName',
        `Model '${model.name}' has ${model.classes} classes but dataset '${dataset.name}' has ` +
          `${dataset.classNames.length}; create a model with classes: ${dataset.classNames.length}.`,
        dataset.name,
      );
    }
    const expectedSize = dataset.format === 'IMAGE_FOLDER' ? null : dataset.imageSize;
    if (expectedSize !== null && expectedSize !== model.inputSize) {
      throw badUserInput(
        'datasetName',
        `Model '${model.name}' takes ${model.inputSize}x${model.inputSize} images but dataset '${dataset.name}' ` +
          `has ${expectedSize}x${expectedSize}; create a model with inputSize: ${expectedSize}.`,
        dataset.name,
      );
    }
  }

  private async enqueue(run: {
    name: string;
    model: Model;
    dataset: Dataset;
    config: TrainConfig;
    resumedFrom: Checkpoint | null;
  }): Promise<Run> {
    if (this.stopping) throw conflict('The API is shutting down; start the run after it restarts.');
    const created = await this.prisma.run.create({
      data: {
        name: run.name,
        modelId: run.model.id,
        datasetId: run.dataset.id,
        config: run.config as unknown as Prisma.InputJsonObject,
        epochs: run.config.epochs,
        outputDir: '',
        currentEpoch: run.resumedFrom?.epoch ?? 0,
        resumedFromCheckpointId: run.resumedFrom?.id ?? null,
      },
    });
    const stored = await this.prisma.run.update({
      where: { id: created.id },
      data: { outputDir: path.join(this.options.dataDir, 'runs', created.id) },
    });
    this.events.publishRunUpdated(stored);
    this.queue.push(stored.id);
    this.pump();
    return stored;
  }

  private pump(): void {
    while (!this.stopping && this.active.size < this.options.concurrency && this.queue.length > 0) {
      const runId = this.queue.shift()!;
      this.launch(runId);
    }
  }

  private launch(runId: string): void {
    let chain = Promise.resolve();
    let settled = false;
    let resolveFinished!: () => void;
    const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
    const progress = new ProgressWriter();
    const handle = (message: WorkerMessage) => {
      chain = chain
        .then(async () => {
          if (settled) return;
          if (message.type === 'event') {
            await this.record(runId, message.event, message.checkpoint, progress);
          } else if (message.type === 'trained') {
            settled = true;
            await this.finish(runId, {
              status: message.result.status === 'cancelled' ? 'CANCELLED' : 'COMPLETED',
              errorMessage: null,
            });
          } else if (message.type === 'failed') {
            settled = true;
            await this.finish(runId, { status: 'FAILED', errorMessage: message.message });
          }
        })
        .catch((error: unknown) => this.log(`Run ${runId}: could not record a worker message: ${String(error)}`));
    };
    const worker = (this.options.startWorker ?? this.startRunWorker)(handle);
    this.active.set(runId, { worker, finished, cancelRequested: false });

    void (async () => {
      try {
        const run = await this.prisma.run.update({
          where: { id: runId },
          data: { status: 'RUNNING', startedAt: new Date() },
          include: { dataset: true, resumedFromCheckpoint: true },
        });
        this.events.publishProgress(statusChanged(run));
        this.events.publishRunUpdated(run);
        worker.send({
          type: 'train',
          config: run.config as unknown as TrainConfig,
          outDir: run.outputDir,
          resumeFrom: run.resumedFromCheckpoint?.location ?? null,
          dataset: DatasetService.spec(run.dataset),
        });
      } catch (error) {
        this.log(`Run ${runId}: could not start: ${String(error)}`);
        worker.kill('SIGKILL');
      }
      const exit = await worker.exited;
      await chain;
      if (!settled) {
        settled = true;
        const message = this.stopping
          ? 'Interrupted: the API shut down while this run was training. Resume it from its last checkpoint with resumeRun.'
          : describeUnexpectedExit(exit);
        await this.finish(runId, { status: 'FAILED', errorMessage: message }).catch((error: unknown) =>
          this.log(`Run ${runId}: could not record its failure: ${String(error)}`),
        );
      }
      this.active.delete(runId);
      resolveFinished();
      this.pump();
    })();
  }

  private async record(runId: string, event: TrainingEvent, saved: SavedCheckpoint | null, progress: ProgressWriter) {
    switch (event.kind) {
      case 'start': {
        progress.epochs = event.epochs;
        const run = await this.prisma.run.update({
          where: { id: runId },
          data: {
            backend: event.backend.name,
            device: event.backend.device,
            batchesPerEpoch: event.batchesPerEpoch,
            currentEpoch: event.firstEpoch - 1,
            progress: (event.firstEpoch - 1) / event.epochs,
          },
        });
        this.events.publishRunUpdated(run);
        return;
      }
      case 'batch': {
        const done = (event.epoch - 1) * event.batches + event.batch;
        const runProgress = done / (event.batches * progress.epochs);
        this.events.publishProgress({
          __typename: 'BatchProgress',
          runId,
          epoch: event.epoch,
          batch: event.batch,
          batches: event.batches,
          loss: event.loss,
          accuracy: event.accuracy,
          learningRate: event.learningRate,
          imagesPerSecond: event.imagesPerSecond,
          progress: runProgress,
        });
        if (progress.due(event.batch === event.batches)) {
          const run = await this.prisma.run.update({
            where: { id: runId },
            data: {
              currentEpoch: event.epoch,
              currentBatch: event.batch,
              progress: runProgress,
              lastBatchLoss: event.loss,
              imagesPerSecond: event.imagesPerSecond,
            },
          });
          this.events.publishRunUpdated(run);
        }
        return;
      }
      case 'epoch': {
        const metric = await this.prisma.epochMetric.create({
          data: {
            runId,
            epoch: event.epoch,
            trainLoss: event.trainLoss,
            trainAccuracy: event.trainAccuracy,
            testLoss: event.testLoss,
            testAccuracy: event.testAccuracy,
            learningRate: event.learningRate,
            durationSeconds: event.durationSeconds,
            imagesPerSecond: event.imagesPerSecond,
          },
        });
        const current = await this.prisma.run.findUniqueOrThrow({ where: { id: runId } });
        const best =
          event.testAccuracy === null
            ? current.bestTestAccuracy
            : Math.max(current.bestTestAccuracy ?? -Infinity, event.testAccuracy);
        const run = await this.prisma.run.update({
          where: { id: runId },
          data: { currentEpoch: event.epoch, progress: event.epoch / event.epochs, bestTestAccuracy: best },
        });
        this.events.publishProgress({ __typename: 'EpochCompleted', runId, metric });
        if (saved) {
          const checkpoint = await this.prisma.checkpoint.create({
            data: {
              runId,
              epoch: saved.epoch,
              testAccuracy: saved.testAccuracy,
              testLoss: saved.testLoss,
              isBest: saved.isBest,
              sizeBytes: BigInt(saved.sizeBytes),
              sha256: saved.sha256,
              location: saved.location,
            },
          });
          this.events.publishProgress({ __typename: 'CheckpointSaved', runId, checkpoint });
          await this.prune(runId);
        }
        this.events.publishRunUpdated(run);
        return;
      }
    }
  }

  /**
   * Deletes the files of this run's checkpoints that are neither its latest nor its best: a ResNet-18 checkpoint
   * with momentum is about 90 MB, and a 200-epoch run would keep 18 GB. The rows stay, marked pruned. Promoted
   * versions keep their own copy.
   */
  private async prune(runId: string): Promise<void> {
    const kept = await this.prisma.checkpoint.findMany({ where: { runId, prunedAt: null }, orderBy: { epoch: 'asc' } });
    const latest = kept.at(-1)!;
    const best = kept.reduce((a, b) => ((b.testAccuracy ?? -1) > (a.testAccuracy ?? -1) ? b : a));
    for (const checkpoint of kept) {
      if (checkpoint.id === latest.id || checkpoint.id === best.id) continue;
      await fs.rm(checkpoint.location, { recursive: true, force: true });
      await this.prisma.checkpoint.update({ where: { id: checkpoint.id }, data: { prunedAt: new Date() } });
    }
  }

  private async finish(runId: string, outcome: { status: Run['status']; errorMessage: string | null }): Promise<Run> {
    const run = await this.prisma.run.update({
      where: { id: runId },
      data: {
        status: outcome.status,
        errorMessage: outcome.errorMessage,
        finishedAt: new Date(),
        ...(outcome.status === 'COMPLETED' ? { progress: 1 } : {}),
      },
    });
    this.events.publishProgress(statusChanged(run));
    this.events.publishRunUpdated(run);
    return run;
  }

  private log(message: string): void {
    (this.options.log ?? console.error)(message);
  }
}

/**
 * A running run's progress bookkeeping: its total epochs (from the start event, for the progress fraction) and when
 * batch progress is worth a database write: the last batch of an epoch, or a second since the last write.
 */
class ProgressWriter {
  /** Set by the start event, which comes before any batch. */
  epochs = 1;
  private lastWrite = 0;

  due(force: boolean): boolean {
    const now = Date.now();
    if (!force && now - this.lastWrite < PROGRESS_WRITE_INTERVAL_MS) return false;
    this.lastWrite = now;
    return true;
  }
}
