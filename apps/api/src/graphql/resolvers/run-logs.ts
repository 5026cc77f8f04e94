// Resolvers of run-logs.graphql: a run's log and system metrics, and the log's live lines.
import type { Resolvers } from '../../generated/graphql.js';
import type { RunLog } from '../../generated/prisma/client.js';
import { runLogStream } from './run-log-stream.js';

export const runLogResolvers: Resolvers = {
  Subscription: {
    runLogs: {
      subscribe: (_, { runId, after }, { services }) => runLogStream(services, runId, after),
      resolve: (line: RunLog) => line,
    },
  },

  Run: {
    logs: (run, { after, last }, { services }) => services.runLogs.lines(run.id, after, last),
    systemMetrics: (run, { maxPoints }, { services }) => services.systemMetrics.list(run.id, maxPoints),
  },
};
