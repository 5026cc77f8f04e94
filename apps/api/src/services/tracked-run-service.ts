// Runs that `resnet-lab train --track` trains on its own machine: registered with their model and dataset, then
// recorded event by event through the RunRecorder, as a worker's are, so that they show live like any other run. Their
// log is what the CLI prints for those events (TrainingPrinter, as a worker's training process prints them); the CLI
// sends no system metrics.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ResNetConfigError, resolveResNetConfig, type ResNetConfig } from '@resnet-lab/resnet';
import {
  SYNTHETIC_LOCATION,
  TrainConfigError,
  epochCheckpointDirectory,
  resolveTrainConfig,
  TrainingPrinter,
  type TrainConfig,
  type TrainConfigInput,
} from '@resnet-lab/trainer';
import { badUserInput, conflict, notFound } from '../errors.js';
import { FINAL_STATUSES } from '../events/run-events.js';
import type { Dataset, DatasetFormat, Model, Prisma, PrismaClient, Run } from '../generated/prisma/client.js';
import type { SavedCheckpoint } from '../training/worker-protocol.js';
import { checkNoNulBytes } from '../nul-bytes.js';
import { ModelService } from './model-service.js';
import { isForeignKeyViolation, isUniqueViolation } from './prisma-errors.js';
import { checkDisplayName } from './names.js';
import { notify, type RunRecorder } from './run-recorder.js';
import type { RunLogWriter } from './run-log-writer.js';
import { parseTrackedEvent } from './tracked-event.js';

export interface TrackRunInput {
  readonly modelName: string;
  readonly name?: string | null;
  readonly arch: string;
  readonly stem: string;
  readonly width: number;
  readonly classes: number;
  readonly inputSize: number;
  readonly datasetName: string;
  readonly datasetFormat: DatasetFormat;
  readonly classNames: readonly string[];
  /** The trainer's resolved TrainConfig, as JSON. */
  readonly config: string;
  readonly outputDir: string;
}

export interface TrackedRunStatus {
  readonly cancelRequested: boolean;
}

/** Events per reportTrainingEvents call; the CLI sends at most 50. */
export const MAX_REPORTED_EVENTS = 500;

/** Dataset names are at most 64 characters; this leaves room for a '-<n>' suffix. */
const DATASET_NAME_BASE_LENGTH = 56;

/** Attempts at trackRun's transaction when concurrent CLIs race to create the same model or dataset name. */
const TRACK_ATTEMPTS = 5;

/** A batch line every this many batches in a tracked run's log, as `resnet-lab train` prints by default. */
const LOG_EVERY_BATCHES = 100;

export class TrackedRunService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly recorder: RunRecorder,
    private readonly logWriter: RunLogWriter,
  ) {}

  /**
   * Creates the run RUNNING with source CLI, under its model and dataset (each reused when it matches). Everything
   * is checked first, then the model, dataset and run are created in one transaction: a refused or failed call
   * leaves nothing behind.
   */
  async track(input: TrackRunInput): Promise<Run> {
    const config = parseConfig(input.config);
    const architecture = resolveArchitecture(input);
    for (const field of ['arch', 'stem', 'width'] as const) {
      if (architecture[field] !== config[field]) {
        throw badUserInput(
          field,
          `Expected ${field} to be the config's ${field} ${JSON.stringify(config[field])}, got ` +
            `${JSON.stringify(input[field])}.`,
          input[field],
        );
      }
    }
    if (input.classNames.length !== architecture.classes) {
      throw badUserInput(
        'classNames',
        `Expected ${architecture.classes} class names (classes), got ${input.classNames.length}.`,
        input.classNames.join(', '),
      );
    }
    if (!path.isAbsolute(input.outputDir)) {
      throw badUserInput(
        'outputDir',
        `Expected outputDir to be an absolute directory on the CLI's machine, got '${input.outputDir}'.`,
        input.outputDir,
      );
    }
    const newModel = ModelService.rowOf({
      name: input.modelName,
      description: 'Created by `resnet-lab train --track`.',
      ...architecture,
    });
    const datasetLocation = checkDatasetLocation(input);
    const name = checkDisplayName('name', input.name);
    for (let attempt = 1; ; attempt++) {
      try {
        const run = await this.prisma.$transaction(async (transaction) => {
          const model = await modelFor(transaction, newModel, architecture);
          const dataset = await datasetFor(transaction, input, datasetLocation);
          return createRun(transaction, { ...input, name }, config, model, dataset);
        });
        this.logWriter.append(run.id, 'SYSTEM', `Tracked: \`resnet-lab train --track\` trains it in ${run.outputDir}.`);
        await this.logWriter.end(run.id);
        return run;
      } catch (error) {
        // Another CLI created the model or dataset in between, or a delete removed it: the next attempt finds or
        // creates it again.
        const raced = isUniqueViolation(error) || isForeignKeyViolation(error);
        if (!raced || attempt >= TRACK_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Records the events in order, after checking all of them; answers whether cancelRun was called. An epoch event
   * with a checkpoint becomes a Checkpoint row at the CLI's path, which must be the run's own epoch directory.
   */
  async report(runId: string, events: readonly string[]): Promise<TrackedRunStatus> {
    if (events.length > MAX_REPORTED_EVENTS) {
      throw badUserInput(
        'events',
        `Expected at most ${MAX_REPORTED_EVENTS} events per call, got ${events.length}.`,
        events.length,
      );
    }
    const run = await this.trackedRun(runId, 'report events');
    const recorded = events.map((text, index) => {
      const field = `events[${index}]`;
      const { event, checkpointSizeBytes } = parseTrackedEvent(text, field);
      if (event.kind !== 'epoch' || event.epochCheckpoint === null) return { event, saved: null };
      const expected = epochCheckpointDirectory(run.outputDir, event.epoch);
      if (event.epochCheckpoint !== expected) {
        throw badUserInput(
          `${field}.event.epochCheckpoint`,
          `Expected ${field}.event.epochCheckpoint to be the run's directory of epoch ${event.epoch}, ` +
            `${expected}, got ${event.epochCheckpoint}.`,
          event.epochCheckpoint,
        );
      }
      const saved: SavedCheckpoint = {
        epoch: event.epoch,
        location: event.epochCheckpoint,
        isBest: event.isBest,
        testAccuracy: event.testAccuracy,
        testLoss: event.testLoss,
        sizeBytes: checkpointSizeBytes!,
        sha256: event.weightsSha256,
      };
      return { event, saved };
    });
    const printer = this.printerFor(runId);
    for (const { event, saved } of recorded) {
      printer.print(event);
      await this.recorder.record(runId, event, saved);
    }
    // The CLI's next request may reach another API process: this one leaves no kept batch or log line unwritten.
    await this.recorder.flushBatches(runId);
    await this.logWriter.end(runId);
    const { cancelRequestedAt } = await this.prisma.run.findUniqueOrThrow({
      where: { id: runId },
      select: { cancelRequestedAt: true },
    });
    return { cancelRequested: cancelRequestedAt !== null };
  }

  /** Ends the run with a final status; errorMessage is kept for FAILED only. */
  async finish(runId: string, status: Run['status'], errorMessage: string | null | undefined): Promise<Run> {
    if (!FINAL_STATUSES.has(status)) {
      throw badUserInput('status', `Expected status to be COMPLETED, CANCELLED or FAILED, got ${status}.`, status);
    }
    await this.trackedRun(runId, 'be finished');
    const message =
      status === 'FAILED' ? errorMessage?.trim() || 'The CLI reported a failure without a message.' : null;
    // Before the final status, which ends runLogs subscriptions.
    this.logWriter.append(runId, 'SYSTEM', `The CLI finished the run: ${status}${message ? `: ${message}` : '.'}`);
    await this.logWriter.end(runId);
    return this.recorder.finish(runId, { status, errorMessage: message });
  }

  /** Prints events into the run's log as `resnet-lab train` prints them, a line at a time. */
  private printerFor(runId: string): TrainingPrinter {
    const write = (text: string) => {
      // The printer's texts are whole lines (and blank lines between them).
      for (const line of text.replace(/\n$/, '').split('\n')) this.logWriter.append(runId, 'STDOUT', line);
    };
    return new TrainingPrinter({ stdout: write, stderr: write }, { logEvery: LOG_EVERY_BATCHES, progressBar: false });
  }

  private async trackedRun(runId: string, action: string): Promise<Run> {
    const run = await this.prisma.run.findUnique({ where: { id: runId } });
    if (!run) throw notFound('run', runId);
    if (run.source !== 'CLI') {
      throw conflict(
        `Run ${runId} has source ${run.source}: only runs started with trackRun (source CLI) can ${action}.`,
      );
    }
    if (run.status !== 'RUNNING') {
      throw conflict(`Run ${runId} is ${run.status}: only a RUNNING run can ${action}.`);
    }
    return run;
  }
}

type Transaction = Prisma.TransactionClient;

/** Where the CLI's dataset is: 'synthetic' for SYNTHETIC, else an absolute directory on the CLI's machine. */
function checkDatasetLocation(input: TrackRunInput): string {
  const location = input.datasetName.trim();
  if (input.datasetFormat === 'SYNTHETIC' ? location !== SYNTHETIC_LOCATION : !path.isAbsolute(location)) {
    throw badUserInput(
      'datasetName',
      input.datasetFormat === 'SYNTHETIC'
        ? `Expected datasetName '${SYNTHETIC_LOCATION}' for format SYNTHETIC, got '${location}'.`
        : `Expected datasetName to be an absolute directory on the CLI's machine for format ` +
            `${input.datasetFormat}, got '${location}'.`,
      location,
    );
  }
  return location;
}

/** The model of that name when its architecture is this one; a new model when there is none of that name. */
async function modelFor(
  transaction: Transaction,
  newModel: Prisma.ModelCreateInput,
  architecture: ResNetConfig,
): Promise<Model> {
  const existing = await transaction.model.findUnique({ where: { name: newModel.name } });
  if (existing) return sameArchitecture(existing, architecture);
  return transaction.model.create({ data: newModel });
}

/**
 * A dataset of this name or at this location, with the same format and class names; otherwise a new row for the
 * CLI's dataset, which may be on another machine, so that nothing here checks that it can be read.
 */
async function datasetFor(transaction: Transaction, input: TrackRunInput, location: string): Promise<Dataset> {
  const candidates = await transaction.dataset.findMany({
    where: { format: input.datasetFormat, OR: [{ name: location }, { location }] },
    orderBy: [{ builtIn: 'desc' }, { createdAt: 'asc' }],
  });
  const same = candidates.find((dataset) => sameNames(dataset.classNames, input.classNames));
  if (same) return same;
  const base = datasetNameBase(location);
  const taken = new Set(
    (await transaction.dataset.findMany({ where: { name: { startsWith: base } }, select: { name: true } })).map(
      (dataset) => dataset.name,
    ),
  );
  let name = base;
  for (let suffix = 2; taken.has(name); suffix++) name = `${base}-${suffix}`;
  return transaction.dataset.create({
    data: {
      name,
      description: `Registered by \`resnet-lab train --track\`: ${location} on the machine that trained.`,
      format: input.datasetFormat,
      location,
      classNames: [...input.classNames],
      imageSize: input.datasetFormat === 'IMAGE_FOLDER' ? null : input.inputSize,
      builtIn: false,
    },
  });
}

async function createRun(
  transaction: Transaction,
  input: TrackRunInput,
  config: TrainConfig,
  model: Model,
  dataset: Dataset,
): Promise<Run> {
  const count = await transaction.run.count({ where: { modelId: model.id } });
  const id = randomUUID();
  const run = await transaction.run.create({
    data: {
      id,
      name: input.name ?? `${model.name} #${count + 1}`,
      modelId: model.id,
      datasetId: dataset.id,
      config: config as unknown as Prisma.InputJsonObject,
      epochs: config.epochs,
      outputDir: path.normalize(input.outputDir),
      source: 'CLI',
      status: 'RUNNING',
      startedAt: new Date(),
    },
  });
  await notify(transaction, { kind: 'status', runId: id });
  return run;
}

function parseConfig(text: string): TrainConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badUserInput('config', `Expected config to be a JSON TrainConfig: ${(error as Error).message}`, text);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badUserInput('config', `Expected config to be a JSON object, got ${text}.`, text);
  }
  // A \u0000 escape becomes a NUL, which the run's jsonb config column refuses.
  checkNoNulBytes('config', parsed);
  try {
    return resolveTrainConfig(parsed as TrainConfigInput);
  } catch (error) {
    if (error instanceof TrainConfigError) {
      throw badUserInput(`config.${error.field}`, error.message, (parsed as Record<string, unknown>)[error.field]);
    }
    throw error;
  }
}

function resolveArchitecture(input: TrackRunInput): ResNetConfig {
  try {
    return resolveResNetConfig(input);
  } catch (error) {
    if (error instanceof ResNetConfigError) throw badUserInput(error.field, error.message, input[error.field]);
    throw error;
  }
}

function sameArchitecture(model: Model, architecture: ResNetConfig): Model {
  const fields = ['arch', 'stem', 'width', 'classes', 'inputSize'] as const;
  if (fields.every((field) => model[field] === architecture[field])) return model;
  throw conflict(
    `Model '${model.name}' is ${describeArchitecture(model)}, but the run trains ${describeArchitecture(architecture)}; ` +
      'track it under another model name.',
  );
}

function describeArchitecture(architecture: ResNetConfig | Model): string {
  const { arch, stem, width, classes, inputSize } = architecture;
  return `${arch} (stem ${stem}, width ${width}, ${classes} classes, ${inputSize}x${inputSize} input)`;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/** A valid dataset name (see names.ts) from a location's last segment, e.g. '/data/My Pets' -> 'My-Pets'. */
function datasetNameBase(location: string): string {
  const base = path
    .basename(location)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, DATASET_NAME_BASE_LENGTH);
  return base || 'dataset';
}
