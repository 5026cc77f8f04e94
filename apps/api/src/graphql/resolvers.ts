// Resolvers of the SDL in ../schema. They translate between GraphQL and the services; the services hold the rules.
import { createRequire } from 'node:module';
import type { TrainConfig } from '@resnet-lab/trainer';
import { GraphQLScalarType, Kind } from 'graphql';
import { badUserInput, notFound, unauthenticated } from '../errors.js';
import { FINAL_STATUSES, statusChanged, type RunProgressEvent } from '../events/run-events.js';
import type { Resolvers } from '../generated/graphql.js';
import type { Dataset as DatasetRow, Prisma, Run } from '../generated/prisma/client.js';
import type { Availability } from '../services/dataset-service.js';
import { ModelService } from '../services/model-service.js';
import { HYPERPARAMETER_FIELDS } from '../services/run-service.js';
import type { ApiContext } from '../context.js';
import { decodeCursor, encodeCursor, runOrderBy } from './run-pagination.js';

const require = createRequire(import.meta.url);
const API_VERSION = (require('../../package.json') as { version: string }).version;
const TFJS_VERSION = (require('@tensorflow/tfjs/package.json') as { version: string }).version;

const MAX_PAGE_SIZE = 100;
const MAX_COMPARED_RUNS = 20;

const dateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date and time in UTC.',
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? parseDate(ast.value) : parseDate(null)),
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw badUserInput('DateTime', `Expected an ISO-8601 date-time, got ${String(value)}.`);
  return date;
}

/** Exactly one of id and name. */
function byIdOrName(args: { id?: string | null; name?: string | null }): { id: string } | { name: string } {
  const { id, name } = args;
  if (typeof id === 'string' && typeof name !== 'string') return { id };
  if (typeof name === 'string' && typeof id !== 'string') return { name };
  throw badUserInput('id', 'Give exactly one of id and name.');
}

function hyperparameterValue(config: TrainConfig, field: (typeof HYPERPARAMETER_FIELDS)[number]): string {
  const value = config[field];
  return Array.isArray(value) ? value.join(', ') : String(value);
}

export const resolvers: Resolvers = {
  DateTime: dateTime,

  Query: {
    system: (_, __, { services }) => ({
      version: API_VERSION,
      nodeVersion: process.version,
      tfjsVersion: TFJS_VERSION,
      availableBackends: [...services.system.availableBackends],
      activeBackend: services.system.activeBackend,
      database: services.system.databaseDescription,
      runConcurrency: services.config.runConcurrency,
      mutationsRequireToken: services.config.apiToken !== null,
      workers: [],
    }),
    models: (_, __, { services }) => services.prisma.model.findMany({ orderBy: { createdAt: 'desc' } }),
    model: (_, args, { services }) => services.prisma.model.findUnique({ where: byIdOrName(args) }),
    datasets: (_, __, { services }) =>
      services.prisma.dataset.findMany({ orderBy: [{ builtIn: 'desc' }, { name: 'asc' }] }),
    dataset: (_, args, { services }) => services.prisma.dataset.findUnique({ where: byIdOrName(args) }),
    runs: async (_, { filter, orderBy, first, after }, { services }) => {
      const pageSize = first ?? 20;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
        throw badUserInput('first', `Expected first from 1 to ${MAX_PAGE_SIZE}, got ${pageSize}.`, pageSize);
      }
      const where: Prisma.RunWhereInput = {
        ...(filter?.status?.length ? { status: { in: filter.status } } : {}),
        ...(filter?.modelId ? { modelId: filter.modelId } : {}),
        ...(filter?.datasetId ? { datasetId: filter.datasetId } : {}),
      };
      const cursor = after ? decodeCursor(after) : null;
      const [rows, totalCount] = await Promise.all([
        services.prisma.run.findMany({
          where,
          orderBy: runOrderBy(orderBy),
          take: pageSize + 1,
          ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
        }),
        services.prisma.run.count({ where }),
      ]);
      const page = rows.slice(0, pageSize);
      return {
        edges: page.map((node) => ({ cursor: encodeCursor(node.id), node })),
        pageInfo: {
          hasNextPage: rows.length > pageSize,
          endCursor: page.length ? encodeCursor(page.at(-1)!.id) : null,
        },
        totalCount,
      };
    },
    run: (_, { id }, { services }) => services.prisma.run.findUnique({ where: { id } }),
    compareRuns: async (_, { ids }, { services }) => {
      if (ids.length < 1 || ids.length > MAX_COMPARED_RUNS) {
        throw badUserInput('ids', `Expected 1 to ${MAX_COMPARED_RUNS} run ids, got ${ids.length}.`);
      }
      const found = await services.prisma.run.findMany({ where: { id: { in: ids } } });
      const byId = new Map(found.map((run) => [run.id, run]));
      const runs = ids.map((id) => {
        const run = byId.get(id);
        if (!run) throw notFound('run', id);
        return run;
      });
      const hyperparameters = HYPERPARAMETER_FIELDS.map((name) => {
        const values = runs.map((run) => hyperparameterValue(run.config as unknown as TrainConfig, name));
        return { name, values, differs: new Set(values).size > 1 };
      });
      return { runs, hyperparameters };
    },
    checkpoint: (_, { id }, { services }) => services.prisma.checkpoint.findUnique({ where: { id } }),
    predictions: async (_, { checkpointId, first }, { services }) => {
      const checkpoint = await services.prisma.checkpoint.findUnique({ where: { id: checkpointId } });
      if (!checkpoint) throw notFound('checkpoint', checkpointId);
      const take = first ?? 50;
      if (!Number.isInteger(take) || take < 1 || take > MAX_PAGE_SIZE) {
        throw badUserInput('first', `Expected first from 1 to ${MAX_PAGE_SIZE}, got ${take}.`, take);
      }
      return services.prisma.prediction.findMany({ where: { checkpointId }, orderBy: { createdAt: 'desc' }, take });
    },
  },

  Mutation: {
    createModel: (_, { input }, { services }) => services.models.create(input),
    registerDataset: (_, { input }, { services }) => services.datasets.register(input),
    startRun: (_, { input }, { services }) => services.runs.start(input),
    cancelRun: (_, { id }, { services }) => services.runs.cancel(id),
    resumeRun: (_, { input }, { services }) => services.runs.resume(input),
    promoteCheckpoint: (_, { input }, { services }) => services.checkpoints.promote(input),
    evaluateCheckpoint: async (_, { input }, { services }) => {
      const { checkpoint, dataset, evaluation, durationSeconds } = await services.checkpoints.evaluate(input);
      return {
        checkpoint,
        dataset,
        images: evaluation.count,
        loss: evaluation.loss,
        accuracy: evaluation.accuracy,
        classNames: [...evaluation.classNames],
        confusionMatrix: evaluation.confusionMatrix.map((row) => [...row]),
        perClass: evaluation.classNames.map((label, index) => ({
          label,
          images: evaluation.confusionMatrix[index]!.reduce((total, count) => total + count, 0),
          accuracy: evaluation.perClassAccuracy[index] ?? 0,
        })),
        durationSeconds,
      };
    },
    predict: (_, { input }, { services }) => services.predictions.predict(input),
  },

  Subscription: {
    runProgress: {
      subscribe: (_, { runId }, { services }) => runProgress(services, runId),
      resolve: (event: RunProgressEvent) => event,
    },
    runUpdated: {
      subscribe: (_, __, { services }) => services.events.subscribeRunUpdated(),
      resolve: (run: Run) => run,
    },
  },

  RunProgressEvent: {
    __resolveType: (event) => (event as unknown as RunProgressEvent).__typename,
  },

  Model: {
    parameterCount: (model) => Number(model.parameterCount),
    macs: (model) => Number(model.macs),
    architecture: (model) => ({
      arch: model.arch,
      stem: model.stem,
      width: model.width,
      classes: model.classes,
      inputSize: model.inputSize,
    }),
    stages: (model) =>
      ModelService.summarize(model).stages.map((stage) => ({
        name: stage.name,
        outputSize: stage.outputSize,
        channels: stage.outChannels,
        blocks: stage.blocks,
        description: stage.description,
        parameters: stage.trainableParams,
        macs: stage.macs,
      })),
    runs: (model, _, { services }) =>
      services.prisma.run.findMany({ where: { modelId: model.id }, orderBy: { createdAt: 'desc' } }),
    versions: (model, _, { services }) =>
      services.prisma.modelVersion.findMany({ where: { modelId: model.id }, orderBy: { version: 'desc' } }),
    aliases: (model, _, { services }) =>
      services.prisma.modelAlias.findMany({ where: { modelId: model.id }, orderBy: { alias: 'asc' } }),
  },

  ModelVersion: {
    model: (version, _, { services }) => services.prisma.model.findUniqueOrThrow({ where: { id: version.modelId } }),
    checkpoint: (version, _, { services }) =>
      services.prisma.checkpoint.findUniqueOrThrow({ where: { id: version.checkpointId } }),
    aliases: async (version, _, { services }) =>
      (await services.prisma.modelAlias.findMany({ where: { versionId: version.id }, orderBy: { alias: 'asc' } })).map(
        (alias) => alias.alias,
      ),
  },

  ModelAlias: {
    version: (alias, _, { services }) =>
      services.prisma.modelVersion.findUniqueOrThrow({ where: { id: alias.versionId } }),
  },

  Dataset: {
    available: async (dataset, _, { services }) => (await availabilityOf(services, dataset)).available,
    unavailableReason: async (dataset, _, { services }) => (await availabilityOf(services, dataset)).reason,
  },

  Run: {
    model: (run, _, { services }) => services.prisma.model.findUniqueOrThrow({ where: { id: run.modelId } }),
    dataset: (run, _, { services }) => services.prisma.dataset.findUniqueOrThrow({ where: { id: run.datasetId } }),
    hyperparameters: (run) => run.config as unknown as TrainConfig,
    durationSeconds: (run) =>
      run.startedAt ? ((run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime()) / 1000 : null,
    resumedFrom: (run, _, { services }) =>
      run.resumedFromCheckpointId
        ? services.prisma.checkpoint.findUnique({ where: { id: run.resumedFromCheckpointId } })
        : null,
    metrics: (run, _, { services }) =>
      services.prisma.epochMetric.findMany({ where: { runId: run.id }, orderBy: { epoch: 'asc' } }),
    checkpoints: (run, _, { services }) =>
      services.prisma.checkpoint.findMany({ where: { runId: run.id }, orderBy: { epoch: 'asc' } }),
    bestCheckpoint: (run, _, { services }) =>
      services.prisma.checkpoint.findFirst({
        where: { runId: run.id, testAccuracy: { not: null } },
        orderBy: [{ testAccuracy: 'desc' }, { epoch: 'asc' }],
      }),
    latestCheckpoint: (run, _, { services }) =>
      services.prisma.checkpoint.findFirst({ where: { runId: run.id }, orderBy: { epoch: 'desc' } }),
  },

  Hyperparameters: {
    milestones: (config) => [...config.milestones],
  },

  Checkpoint: {
    run: (checkpoint, _, { services }) => services.prisma.run.findUniqueOrThrow({ where: { id: checkpoint.runId } }),
    sizeBytes: (checkpoint) => Number(checkpoint.sizeBytes),
    available: (checkpoint) => checkpoint.prunedAt === null,
    versions: (checkpoint, _, { services }) =>
      services.prisma.modelVersion.findMany({ where: { checkpointId: checkpoint.id }, orderBy: { version: 'asc' } }),
  },

  Prediction: {
    checkpoint: (prediction, _, { services }) =>
      services.prisma.checkpoint.findUniqueOrThrow({ where: { id: prediction.checkpointId } }),
    modelVersion: (prediction, _, { services }) =>
      prediction.modelVersionId
        ? services.prisma.modelVersion.findUnique({ where: { id: prediction.modelVersionId } })
        : null,
    topK: (prediction) => prediction.topK as { classIndex: number; label: string; probability: number }[],
  },
};

/**
 * Each dataset row of a response is checked on the file system once, however many of its availability fields the
 * query asks for: rows are fresh objects per request, so a check never outlives the request that made it.
 */
const availabilityChecks = new WeakMap<DatasetRow, Promise<Availability>>();

function availabilityOf(services: ApiContext['services'], dataset: DatasetRow): Promise<Availability> {
  let check = availabilityChecks.get(dataset);
  if (!check) {
    check = services.datasets.availability(dataset);
    availabilityChecks.set(dataset, check);
  }
  return check;
}

/**
 * A run's events from now on, after a replay of the epochs it already finished, so that a client that subscribes
 * late still draws the whole curve. Ends after the event with a final status.
 */
async function* runProgress(services: ApiContext['services'], runId: string): AsyncGenerator<RunProgressEvent> {
  // Subscribe before reading the run: an event between the read and the subscription would otherwise be lost.
  const channel = services.events.subscribeProgress(runId);
  try {
    const run = await services.prisma.run.findUnique({ where: { id: runId } });
    if (!run) throw notFound('run', runId);
    const finished = await services.prisma.epochMetric.findMany({ where: { runId }, orderBy: { epoch: 'asc' } });
    for (const metric of finished) yield { __typename: 'EpochCompleted', runId, metric };
    const replayedEpoch = finished.at(-1)?.epoch ?? 0;
    if (FINAL_STATUSES.has(run.status)) {
      yield statusChanged(run);
      return;
    }
    for await (const event of channel) {
      if (event.__typename === 'EpochCompleted' && event.metric.epoch <= replayedEpoch) continue;
      yield event;
      if (event.__typename === 'RunStatusChanged' && FINAL_STATUSES.has(event.status)) return;
    }
  } finally {
    channel.close();
  }
}

/** Wraps every mutation so that it first checks the request's token (over HTTP and WebSocket alike). */
export function requireTokenForMutations(all: Resolvers): Resolvers {
  const mutations = Object.fromEntries(
    Object.entries(all.Mutation ?? {}).map(([name, resolve]) => [
      name,
      (parent: unknown, args: unknown, context: ApiContext, info: unknown) => {
        if (!context.authorized) throw unauthenticated();
        return (resolve as (...a: unknown[]) => unknown)(parent, args, context, info);
      },
    ]),
  );
  return { ...all, Mutation: mutations };
}
