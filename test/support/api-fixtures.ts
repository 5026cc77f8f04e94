// Shared pieces of the end-to-end API tests: the progress subscription, a tiny model and dataset, run helpers.
import { expect } from 'vitest';
import type { ApiProcess } from './api-process.js';

export const PROGRESS = `subscription($runId: ID!) {
  runProgress(runId: $runId) {
    __typename
    ... on BatchProgress { epoch batch batches loss accuracy imagesPerSecond progress }
    ... on EpochCompleted { metric { epoch trainLoss trainAccuracy testLoss testAccuracy learningRate imagesPerSecond } }
    ... on CheckpointSaved { checkpoint { id epoch isBest sizeBytes sha256 } }
    ... on RunStatusChanged { status errorMessage }
  }
}`;

export interface ProgressEvent {
  __typename: 'BatchProgress' | 'EpochCompleted' | 'CheckpointSaved' | 'RunStatusChanged';
  epoch?: number;
  batch?: number;
  batches?: number;
  metric?: { epoch: number; trainLoss: number; testAccuracy: number };
  checkpoint?: { id: string; epoch: number };
  status?: string;
  errorMessage?: string | null;
}

const START_RUN = `mutation($input: StartRunInput!) { startRun(input: $input) { id status } }`;
/** 128 training images in batches of 32: 4 steps an epoch. */
export const TINY_RUN = {
  modelName: 'tiny',
  datasetName: 'tiny',
  batchSize: 32,
  learningRate: 0.05,
  schedule: 'constant',
  seed: 3,
};

/** A 4-class ResNet-18 at 1/16 width on 16x16 synthetic images: an epoch takes well under a second. */
export async function setUp(server: ApiProcess, token?: string): Promise<void> {
  const model = await server.request(
    `mutation { createModel(input: { name: "tiny", arch: "resnet18", width: 0.0625, classes: 4, inputSize: 16 }) { id } }`,
    {},
    token,
  );
  expect(model.errors).toBeUndefined();
  const dataset = await server.request(
    `mutation { registerDataset(input: { name: "tiny", format: SYNTHETIC,
    synthetic: { classes: 4, trainCount: 128, testCount: 64, imageSize: 16 } }) { id } }`,
    {},
    token,
  );
  expect(dataset.errors).toBeUndefined();
}

export async function startRun(server: ApiProcess, input: Record<string, unknown>, token?: string): Promise<string> {
  const started = await server.request<{ startRun: { id: string; status: string } }>(
    START_RUN,
    {
      input: { ...TINY_RUN, ...input },
    },
    token,
  );
  expect(started.errors).toBeUndefined();
  expect(started.data!.startRun.status).toBe('QUEUED');
  return started.data!.startRun.id;
}

/** Resolves once an event matching the predicate has been collected. */
export function waitFor(events: ProgressEvent[], predicate: (event: ProgressEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (events.some(predicate)) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
}
