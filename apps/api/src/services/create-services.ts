// Opens the database and wires the services together; the HTTP server and the tests both start here.
import { availableBackends, useBackend } from '@resnet-lab/trainer';
import type { ApiConfig } from '../config.js';
import type { Services } from '../context.js';
import { openDatabase } from '../db/database.js';
import { RunEvents } from '../events/run-events.js';
import type { StartWorker } from '../training/worker-process.js';
import { CheckpointService } from './checkpoint-service.js';
import { DatasetService } from './dataset-service.js';
import { ModelService } from './model-service.js';
import { PredictionService } from './prediction-service.js';
import { RunService } from './run-service.js';

export interface StartedServices extends Services {
  /** Stops the workers (their runs end FAILED as interrupted), frees cached models and closes the database. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Replaces the worker process, for tests. */
  readonly startWorker?: StartWorker;
  readonly log?: (message: string) => void;
}

export async function createServices(config: ApiConfig, options: ServiceOptions = {}): Promise<StartedServices> {
  const database = await openDatabase(config);
  try {
    const { prisma } = database;
    const activeBackend = await useBackend('auto');
    const events = new RunEvents();
    const datasets = new DatasetService(prisma, config.dataDir);
    await datasets.registerBuiltIns();
    const runs = new RunService(prisma, datasets, events, {
      dataDir: config.dataDir,
      concurrency: config.runConcurrency,
      startWorker: options.startWorker,
      log: options.log,
    });
    const checkpoints = new CheckpointService(prisma, { dataDir: config.dataDir, startWorker: options.startWorker });
    const predictions = new PredictionService(prisma, checkpoints, {
      cacheSize: config.predictionCacheSize,
      maxImageBytes: config.maxImageBytes,
    });
    await runs.recover();
    return {
      config,
      prisma,
      events,
      models: new ModelService(prisma),
      datasets,
      runs,
      checkpoints,
      predictions,
      system: {
        databaseDescription: database.description,
        activeBackend,
        availableBackends: await availableBackends(),
      },
      close: async () => {
        await runs.stop();
        await predictions.clear();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
