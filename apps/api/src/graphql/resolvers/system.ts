// Resolvers of system.graphql: what the API runs on, and the training workers.
import { createRequire } from 'node:module';
import type { Resolvers } from '../../generated/graphql.js';

const require = createRequire(import.meta.url);
const API_VERSION = (require('../../../package.json') as { version: string }).version;
const TFJS_VERSION = (require('@tensorflow/tfjs/package.json') as { version: string }).version;

export const systemResolvers: Resolvers = {
  Query: {
    system: async (_, __, { services }) => {
      const backend = await services.system.backend();
      return {
        version: API_VERSION,
        nodeVersion: process.version,
        tfjsVersion: TFJS_VERSION,
        availableBackends: [...backend.available],
        activeBackend: backend.active,
        database: services.system.databaseDescription,
        runConcurrency: services.config.runConcurrency,
        mutationsRequireToken: services.config.apiToken !== null,
      };
    },
  },

  System: {
    workers: (_, { includeStopped }, { services }) => services.workers.list({ includeStopped }),
  },

  Worker: {
    currentRun: (worker, _, { services }) => services.workers.currentRun(worker.id),
  },
};
