// Resolvers of datasets.graphql.
import type { ApiContext } from '../../context.js';
import type { Resolvers } from '../../generated/graphql.js';
import type { Dataset as DatasetRow } from '../../generated/prisma/client.js';
import type { Availability } from '../../services/dataset-service.js';
import { byIdOrName } from './base.js';

export const datasetResolvers: Resolvers = {
  Query: {
    datasets: (_, __, { services }) => services.datasets.list(),
    dataset: (_, args, { services }) => services.datasets.find(byIdOrName(args)),
    datasetRoots: (_, __, { services }) => [...services.datasets.roots],
  },

  Mutation: {
    registerDataset: (_, { input }, { services }) => services.datasets.register(input),
    previewDataset: (_, { input }, { services }) => services.datasets.preview(input),
    deleteDataset: (_, { id }, { services }) => services.datasets.delete(id),
  },

  Dataset: {
    available: async (dataset, _, { services }) => (await availabilityOf(services, dataset)).available,
    unavailableReason: async (dataset, _, { services }) => (await availabilityOf(services, dataset)).reason,
    downloadCommand: async (dataset, _, { services }) => (await availabilityOf(services, dataset)).downloadCommand,
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
