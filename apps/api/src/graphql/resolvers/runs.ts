// Resolvers of runs.graphql: the runs list and comparison, starting, resuming and cancelling runs, tracking runs
// that the CLI trains, and their live progress.
import type { TrainConfig } from '@resnet-lab/trainer';
import type { ApiContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { FINAL_STATUSES, statusChanged, type RunProgressEvent } from '../../events/run-events.js';
import type { Resolvers } from '../../generated/graphql.js';
import type { Run } from '../../generated/prisma/client.js';

export const runResolvers: Resolvers = {
  Query: {
    runs: (_, args, { services }) => services.runCatalog.list(args),
    run: (_, { id }, { services }) => services.runCatalog.find(id),
    compareRuns: (_, { ids }, { services }) => services.runCatalog.compare(ids),
  },

  Mutation: {
    startRun: (_, { input }, { services }) => services.runs.start(input),
    cancelRun: (_, { id }, { services }) => services.runs.cancel(id),
    resumeRun: (_, { input }, { services }) => services.runs.resume(input),
    trackRun: (_, { input }, { services }) => services.trackedRuns.track(input),
    reportTrainingEvents: (_, { runId, events }, { services }) => services.trackedRuns.report(runId, events),
    finishTrackedRun: (_, { runId, status, errorMessage }, { services }) =>
      services.trackedRuns.finish(runId, status, errorMessage),
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

  Run: {
    model: (run, _, { services }) => services.runCatalog.model(run),
    dataset: (run, _, { services }) => services.runCatalog.dataset(run),
    hyperparameters: (run) => run.config as unknown as TrainConfig,
    durationSeconds: (run) =>
      run.startedAt ? ((run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime()) / 1000 : null,
    resumedFrom: (run, _, { services }) =>
      run.resumedFromCheckpointId ? services.checkpoints.find(run.resumedFromCheckpointId) : null,
    worker: (run, _, { services }) => (run.workerId ? services.workers.find(run.workerId) : null),
    metrics: (run, _, { services }) => services.runCatalog.metrics(run.id),
    checkpoints: (run, _, { services }) => services.checkpoints.ofRun(run.id),
    bestCheckpoint: (run, _, { services }) => services.checkpoints.bestOfRun(run.id),
    latestCheckpoint: (run, _, { services }) => services.checkpoints.latestOfRun(run.id),
  },

  Hyperparameters: {
    milestones: (config) => [...config.milestones],
  },
};

/**
 * A run's events from now on, after a replay of the epochs it already finished, so that a client that subscribes
 * late still draws the whole curve. Ends after the event with a final status.
 */
async function* runProgress(services: ApiContext['services'], runId: string): AsyncGenerator<RunProgressEvent> {
  // Subscribe before reading the run: an event between the read and the subscription would otherwise be lost.
  const channel = services.events.subscribeProgress(runId);
  try {
    const run = await services.runCatalog.find(runId);
    if (!run) throw notFound('run', runId);
    const finished = await services.runCatalog.metrics(runId);
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
