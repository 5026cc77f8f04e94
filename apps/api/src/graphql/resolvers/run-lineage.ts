// Resolvers of run-lineage.graphql: the history a resumed run continues, its runs and their metrics.
import type { Resolvers } from '../../generated/graphql.js';

export const runLineageResolvers: Resolvers = {
  Run: {
    lineage: (run, _, { services }) => services.runLineage.ancestors(run.id),
    lineageMetrics: (run, _, { services }) => services.runLineage.epochMetrics(run.id),
    lineageBatchMetrics: (run, { maxPoints }, { services }) => services.runLineage.batchMetrics(run.id, maxPoints),
  },
};
