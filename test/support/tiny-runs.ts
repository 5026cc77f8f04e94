// Tiny models, synthetic datasets and runs for the browser tests, made through a DashboardBrowser's graphql(): a
// ResNet-18 at 1/16 width for 4 classes of 16x16 images, whose epoch over 64 images takes about a second.
import { BROWSER_TEST_TIMEOUT_MS, type DashboardBrowser } from './dashboard-browser.js';

/** What these helpers use of a session: its GraphQL, which throws on errors. */
export type GraphqlSession = Pick<DashboardBrowser, 'graphql'>;

/** createModel's input; `name` 'tiny' unless overridden. */
export interface TinyModelInput {
  name: string;
  arch: string;
  width: number;
  classes: number;
  inputSize: number;
}

/** The tiny model: resnet18 at width 0.0625 for 4 classes of 16x16 images. */
export const TINY_MODEL: TinyModelInput = { name: 'tiny', arch: 'resnet18', width: 0.0625, classes: 4, inputSize: 16 };

/** A SYNTHETIC dataset's name and shape, as registerDataset takes them. */
export interface TinyDatasetInput {
  name: string;
  classes: number;
  trainSize: number;
  testSize: number;
  imageSize: number;
}

/** The tiny dataset: 4 classes of 16x16 images, 64 to train on (2 batches of 32) and 32 to test. */
export const TINY_DATASET: TinyDatasetInput = { name: 'tiny', classes: 4, trainSize: 64, testSize: 32, imageSize: 16 };

/** startRun's input as the browser tests give it: `epochs` always (the API's default is 50), the rest optional. */
export interface TinyRunInput {
  epochs: number;
  /** Default 'tiny'. */
  modelName?: string;
  /** Default 'tiny'. */
  datasetName?: string;
  /** Default the API's '<model> #<n>'. */
  name?: string;
  /** Default 32. */
  batchSize?: number;
  learningRate?: number;
  schedule?: string;
  backend?: string;
  tags?: string[];
  notes?: string;
}

/** The run defaults of these tests: the tiny model on the tiny dataset in batches of 32. */
export const TINY_RUN = { modelName: 'tiny', datasetName: 'tiny', batchSize: 32 } as const;

export type RunStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** A run as waitForRun last read it. */
export interface RunState {
  id: string;
  status: RunStatus;
  errorMessage: string | null;
  latestCheckpoint: { id: string } | null;
}

/** The statuses a run does not leave. */
const FINAL: readonly RunStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
const POLL_MS = 250;

/** Creates the tiny model, with `overrides`; returns its id. */
export async function createTinyModel(
  session: GraphqlSession,
  overrides: Partial<TinyModelInput> = {},
): Promise<string> {
  const { createModel } = await session.graphql<{ createModel: { id: string } }>(
    `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`,
    { input: { ...TINY_MODEL, ...overrides } },
  );
  return createModel.id;
}

/** Registers the tiny SYNTHETIC dataset, with `overrides`; returns its id. */
export async function registerTinyDataset(
  session: GraphqlSession,
  overrides: Partial<TinyDatasetInput> = {},
): Promise<string> {
  const { name, ...synthetic } = { ...TINY_DATASET, ...overrides };
  const { registerDataset } = await session.graphql<{ registerDataset: { id: string } }>(
    `mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { id } }`,
    { input: { name, format: 'SYNTHETIC', synthetic } },
  );
  return registerDataset.id;
}

/** Queues a run (TINY_RUN's defaults under `input`); returns its id at once. */
export async function startRun(session: GraphqlSession, input: TinyRunInput): Promise<string> {
  const { startRun } = await session.graphql<{ startRun: { id: string } }>(
    `mutation($input: StartRunInput!) { startRun(input: $input) { id } }`,
    { input: { ...TINY_RUN, ...input } },
  );
  return startRun.id;
}

/**
 * Polls the run until its status is one of `statuses` and returns it. Throws, naming the status and the run's error,
 * once it is in a final status not among them, or still on its way after `timeoutMs`.
 */
export async function waitForRun(
  session: GraphqlSession,
  id: string,
  statuses: readonly RunStatus[] = ['COMPLETED'],
  timeoutMs = BROWSER_TEST_TIMEOUT_MS,
): Promise<RunState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { run } = await session.graphql<{ run: RunState | null }>(
      `query($id: ID!) { run(id: $id) { id status errorMessage latestCheckpoint { id } } }`,
      { id },
    );
    if (!run) throw new Error(`Expected run ${id} to become ${statuses.join(' or ')}, but there is no such run.`);
    if (statuses.includes(run.status)) return run;
    const reason = run.errorMessage === null ? '' : ` (error: ${run.errorMessage})`;
    if (FINAL.includes(run.status)) {
      throw new Error(`Expected run ${id} to become ${statuses.join(' or ')}, but it ended ${run.status}${reason}.`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Expected run ${id} to become ${statuses.join(' or ')} within ${timeoutMs / 1000} s, but it is still ` +
          `${run.status}${reason}.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Starts a run and waits until it has COMPLETED; returns it as it ended. */
export async function trainedRun(session: GraphqlSession, input: TinyRunInput): Promise<RunState> {
  return waitForRun(session, await startRun(session, input));
}
