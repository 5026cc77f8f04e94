// Opens the database and wires the services together; the HTTP server and the tests both start here. The API trains
// nothing itself: workers (worker/run-worker.ts) claim runs from the queue, and their events reach this process's
// subscribers through PostgreSQL (RunEventListener).
import { availableBackends, useBackend, type BackendInfo } from '@resnet-lab/trainer';
import { DirectoryArtifactStore } from '../artifacts/directory-artifact-store.js';
import type { ApiConfig } from '../config.js';
import type { Services } from '../context.js';
import { openDatabase } from '../db/database.js';
import { RunEventListener } from '../events/run-event-listener.js';
import { RunEvents } from '../events/run-events.js';
import { RunQueue } from '../queue/run-queue.js';
import { EvaluationWorkers } from '../training/evaluation-workers.js';
import { startWorkerProcess, type StartWorker } from '../training/worker-process.js';
import { CheckpointService } from './checkpoint-service.js';
import { DatasetService } from './dataset-service.js';
import { EvaluationService } from './evaluation-service.js';
import { ImageDecoderPool } from './image-decoder-pool.js';
import { MetricsExportService } from './metrics-export-service.js';
import { ModelImportService } from './model-import-service.js';
import { ModelRegistryService } from './model-registry-service.js';
import { ModelService } from './model-service.js';
import { PredictionService } from './prediction-service.js';
import { RunCatalog } from './run-catalog.js';
import { RunHousekeepingService } from './run-housekeeping-service.js';
import { RunLineage } from './run-lineage.js';
import { RunLogService } from './run-log-service.js';
import { RunLogWriter } from './run-log-writer.js';
import { RunRecorder } from './run-recorder.js';
import { RunService } from './run-service.js';
import { SystemMetricService } from './system-metric-service.js';
import { TrackedRunService } from './tracked-run-service.js';
import { WorkerRegistry } from './worker-registry.js';
import { WorkerService } from './worker-service.js';

export interface StartedServices extends Services {
  /**
   * Stops listening for run events and the evaluation workers, frees cached models and closes the database. Runs go
   * on in their workers.
   */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Replaces the evaluation worker process, for tests. */
  readonly startWorker?: StartWorker;
  readonly log?: (message: string) => void;
}

export async function createServices(config: ApiConfig, options: ServiceOptions = {}): Promise<StartedServices> {
  const log = options.log ?? ((message: string) => console.error(message));
  const database = await openDatabase(config, { owner: 'the API' });
  const cleanups: (() => Promise<void>)[] = [() => database.close()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(String(error)));
  };
  try {
    const { prisma } = database;
    const queue = await RunQueue.open(database.url);
    cleanups.push(() => queue.close());
    const artifacts = new DirectoryArtifactStore(config.artifactDir);
    // Loaded on the first prediction, evaluation or system query: an API that only tracks stays small.
    let backend: Promise<{ active: BackendInfo; available: readonly string[] }> | null = null;
    const loadBackend = () =>
      (backend ??= (async () => ({ active: await useBackend('auto'), available: await availableBackends() }))());
    const events = new RunEvents();
    const listener = await RunEventListener.start(database.url, prisma, events, log);
    cleanups.push(() => listener.close());
    const recorder = new RunRecorder(prisma, artifacts);
    // The log lines of CLI-tracked runs; workers write their runs' lines themselves.
    const logWriter = new RunLogWriter(prisma, log);
    cleanups.push(() => logWriter.close());
    const registry = new WorkerRegistry(prisma, queue, recorder, {
      heartbeatSeconds: config.heartbeatSeconds,
      runRetries: config.runRetries,
      log,
    });
    // Workers settle each other's runs when one goes silent; the API does too, for when none is left to.
    const settling = setInterval(() => {
      registry.settleLost().catch((error: unknown) => log(`Settling lost workers failed: ${String(error)}`));
    }, config.heartbeatSeconds * 1000);
    settling.unref();
    cleanups.push(() => Promise.resolve(clearInterval(settling)));
    const models = new ModelService(prisma);
    const datasets = new DatasetService(prisma, config);
    for (const root of await datasets.prepareRoots()) {
      log(`DATASET_ROOTS: ${root} is not a directory; registerDataset finds nothing under it until it is.`);
    }
    await datasets.registerBuiltIns();
    const runs = new RunService(prisma, datasets, events);
    await runs.ensureQueued();
    const evaluationWorkers = new EvaluationWorkers({
      startWorker: options.startWorker ?? startWorkerProcess,
      idleSeconds: config.evaluationWorkerIdleSeconds,
    });
    cleanups.push(() => evaluationWorkers.close());
    const checkpoints = new CheckpointService(prisma, artifacts, datasets, { evaluationWorkers, loadBackend });
    // Its threads start with the first image to decode, so that an API that never predicts starts none.
    const decoder = new ImageDecoderPool();
    cleanups.push(() => decoder.close());
    const predictions = new PredictionService(prisma, checkpoints, artifacts, loadBackend, decoder, {
      cacheSize: config.predictionCacheSize,
      maxImageBytes: config.maxImageBytes,
      maxImagePixels: config.maxImagePixels,
    });
    cleanups.push(() => predictions.clear());
    const modelImports = new ModelImportService(prisma, artifacts, checkpoints, loadBackend, config.importRoots);
    for (const root of await modelImports.prepareRoots(config.dataDir)) {
      log(`IMPORT_ROOTS: ${root} is not a directory; importModelVersion finds no file under it until it is.`);
    }
    return {
      config,
      prisma,
      artifacts,
      recorder,
      events,
      models,
      datasets,
      runs,
      runHousekeeping: new RunHousekeepingService(prisma, artifacts),
      trackedRuns: new TrackedRunService(prisma, recorder, logWriter),
      runCatalog: new RunCatalog(prisma, models, datasets),
      runLogs: new RunLogService(prisma),
      logWriter,
      systemMetrics: new SystemMetricService(prisma),
      metricsExport: new MetricsExportService(prisma),
      runLineage: new RunLineage(prisma),
      checkpoints,
      evaluations: new EvaluationService(prisma, checkpoints),
      modelImports,
      modelRegistry: new ModelRegistryService(prisma),
      predictions,
      workers: new WorkerService(prisma),
      system: {
        databaseDescription: database.description,
        backend: loadBackend,
      },
      close: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
