// What every resolver receives: the services, and whether the request may run mutations.
import type { ApiConfig } from './config.js';
import type { RunEvents } from './events/run-events.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { CheckpointService } from './services/checkpoint-service.js';
import type { DatasetService } from './services/dataset-service.js';
import type { ModelService } from './services/model-service.js';
import type { PredictionService } from './services/prediction-service.js';
import type { RunService } from './services/run-service.js';
import type { BackendInfo } from '@resnet-lab/trainer';

export interface Services {
  readonly config: ApiConfig;
  readonly prisma: PrismaClient;
  readonly events: RunEvents;
  readonly models: ModelService;
  readonly datasets: DatasetService;
  readonly runs: RunService;
  readonly checkpoints: CheckpointService;
  readonly predictions: PredictionService;
  readonly system: {
    readonly databaseDescription: string;
    readonly activeBackend: BackendInfo;
    readonly availableBackends: readonly string[];
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
