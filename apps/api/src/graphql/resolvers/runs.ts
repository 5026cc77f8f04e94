// Resolvers of runs.graphql: the runs list and comparison, starting, resuming, cancelling, archiving and deleting
// runs, tracking runs that the CLI trains, and their live progress.
import type { RunProgressEvent } from '../../events/run-events.js';
import { compareMetricsPath, runBatchMetricsPath, runMetricsPath } from '../../exports/metrics-download.js';
import type { Resolvers } from '../../generated/graphql.js';
import { runProgress } from './run-progress.js';
import type { Run } from '../../generated/prisma/client.js';
import { storedTrainConfig } from '../../services/stored-train-config.js';

export const runResolvers: Resolvers = {
  Query: {
    runs: (_, args, { services }) => services.runCatalog.list(args),
    run: (_, { id }, { services }) => services.runCatalog.find(id),
    compareRuns: (_, { ids }, { services }) => services.runCatalog.compare(ids),
    runTags: (_, __, { services }) => services.runCatalog.tags(),
  },

  Mutation: {
    startRun: (_, { input }, { services }) => services.runs.start(input),
    cancelRun: (_, { id }, { services }) => services.runs.cancel(id),
    archiveRun: (_, { id }, { services }) => services.runHousekeeping.archive(id),
    unarchiveRun: (_, { id }, { services }) => services.runHousekeeping.unarchive(id),
    deleteRun: (_, { id }, { services }) => services.runHousekeeping.delete(id),
    updateRun: (_, { input }, { services }) => services.runs.update(input),
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
    hyperparameters: (run) => storedTrainConfig(run.config),
    durationSeconds: (run) =>
      run.startedAt ? ((run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime()) / 1000 : null,
    resumedFrom: (run, _, { services }) =>
      run.resumedFromCheckpointId ? services.checkpoints.find(run.resumedFromCheckpointId) : null,
    worker: (run, _, { services }) => (run.workerId ? services.workers.find(run.workerId) : null),
    metrics: (run, _, { services }) => services.runCatalog.metrics(run.id),
    batchMetrics: (run, { maxPoints }, { services }) => services.runCatalog.batchMetrics(run.id, maxPoints),
    checkpoints: (run, _, { services }) => services.checkpoints.ofRun(run.id),
    bestCheckpoint: (run, _, { services }) => services.checkpoints.bestOfRun(run.id),
    latestCheckpoint: (run, _, { services }) => services.checkpoints.latestOfRun(run.id),
    metricsCsvPath: (run) => runMetricsPath(run.id, 'csv'),
    metricsJsonPath: (run) => runMetricsPath(run.id, 'json'),
    batchMetricsCsvPath: (run) => runBatchMetricsPath(run.id, 'csv'),
    batchMetricsJsonPath: (run) => runBatchMetricsPath(run.id, 'json'),
  },

  RunComparison: {
    metricsCsvPath: ({ runs }) => compareMetricsPath(idsOf(runs), 'csv'),
    metricsJsonPath: ({ runs }) => compareMetricsPath(idsOf(runs), 'json'),
  },

  Hyperparameters: {
    milestones: (config) => [...config.milestones],
  },
};

function idsOf(runs: readonly Run[]): string[] {
  return runs.map((run) => run.id);
}
