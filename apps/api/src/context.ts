// What every resolver receives: the services, and whether the request may run mutations.
import type { ArtifactStore } from './artifacts/artifact-store.js';
import type { ApiConfig } from './config.js';
import type { RunEvents } from './events/run-events.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { CheckpointService } from './services/checkpoint-service.js';
import type { DatasetService } from './services/dataset-service.js';
import type { EvaluationService } from './services/evaluation-service.js';
import type { MetricsExportService } from './services/metrics-export-service.js';
import type { ModelImportService } from './services/model-import-service.js';
import type { ModelRegistryService } from './services/model-registry-service.js';
import type { ModelService } from './services/model-service.js';
import type { PredictionService } from './services/prediction-service.js';
import type { RunCatalog } from './services/run-catalog.js';
import type { RunLogService } from './services/run-log-service.js';
import type { RunLogWriter } from './services/run-log-writer.js';
import type { RunHousekeepingService } from './services/run-housekeeping-service.js';
import type { RunLineage } from './services/run-lineage.js';
import type { RunRecorder } from './services/run-recorder.js';
import type { RunService } from './services/run-service.js';
import type { SystemMetricService } from './services/system-metric-service.js';
import type { TrackedRunService } from './services/tracked-run-service.js';
import type { WorkerService } from './services/worker-service.js';
import type { BackendInfo } from '@resnet-lab/trainer';

export interface Services {
  readonly config: ApiConfig;
  /** For tests that set up rows directly; resolvers read and write through the services below. */
  readonly prisma: PrismaClient;
  readonly events: RunEvents;
  /** Checkpoints, run outputs and the model registry (ARTIFACT_DIR). */
  readonly artifacts: ArtifactStore;
  /** Stores events of CLI-tracked runs, as workers do for theirs. */
  readonly recorder: RunRecorder;
  readonly models: ModelService;
  readonly datasets: DatasetService;
  readonly runs: RunService;
  /** Archiving and deleting runs (archiveRun, unarchiveRun, deleteRun). */
  readonly runHousekeeping: RunHousekeepingService;
  /** Runs that `resnet-lab train --track` trains on its own machine and reports through the API. */
  readonly trackedRuns: TrackedRunService;
  readonly runCatalog: RunCatalog;
  /** Runs' logs (Run.logs, runLogs). */
  readonly runLogs: RunLogService;
  /** Stores the log lines of CLI-tracked runs, as workers do for theirs. */
  readonly logWriter: RunLogWriter;
  /** Runs' CPU, memory and GPU samples (Run.systemMetrics). */
  readonly systemMetrics: SystemMetricService;
  /** Metrics of runs and comparisons for the CSV and JSON downloads (exports/metrics-download.ts). */
  readonly metricsExport: MetricsExportService;
  /** The history resumed runs continue. */
  readonly runLineage: RunLineage;
  readonly checkpoints: CheckpointService;
  /** Stored evaluations of checkpoints (evaluateCheckpoint). */
  readonly evaluations: EvaluationService;
  /** Model versions from safetensors files (importModelVersion). */
  readonly modelImports: ModelImportService;
  /** Aliases and version descriptions (setModelAlias, removeModelAlias, updateModelVersion). */
  readonly modelRegistry: ModelRegistryService;
  readonly predictions: PredictionService;
  readonly workers: WorkerService;
  readonly system: {
    readonly databaseDescription: string;
    /**
     * The compute backend for predictions and evaluations, loaded on first use (it holds about 130 MB): the
     * backend in use, and the ones this machine can load.
     */
    backend(): Promise<{ readonly active: BackendInfo; readonly available: readonly string[] }>;
  };
}

export interface ApiContext {
  readonly services: Services;
  /** Whether the request carried the right token, or no token is configured. */
  readonly authorized: boolean;
}

/** Checks an `Authorization` header value (or WebSocket connection param) against the configured token. */
export function isAuthorized(apiToken: string | null, authorization: unknown): boolean {
  if (apiToken === null) return true;
  return typeof authorization === 'string' && authorization === `Bearer ${apiToken}`;
}
