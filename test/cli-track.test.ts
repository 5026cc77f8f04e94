// `resnet-lab train --track`: the real CLI, in a process of its own, trains and reports to an API started in-process
// on a fresh database, and its run shows live through runProgress like a worker's. Also the mutations it uses, on
// their own: what they refuse and how cancelRun reaches a CLI run.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestApi, type TestApi } from '@resnet-lab/api/test-support';
import type { EpochEvent, TrainingEvent } from '@resnet-lab/trainer';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { PROGRESS, type ProgressEvent } from './support/api-fixtures.js';
import { collect } from './support/api-process.js';
import { freePort } from './support/free-port.js';

const root = path.resolve(import.meta.dirname, '..');
const BIN = path.join(root, 'packages', 'trainer', 'bin', 'resnet-lab.js');
const TOKEN = 'track-test-token';
const AUTHORIZATION = `Bearer ${TOKEN}`;
/** ResNet-18 at 1/16 width on the synthetic dataset (1,000 training images): 10 steps an epoch, on wasm. */
const TINY = ['--data', 'synthetic', '--width', '0.0625', '--batch-size', '100', '--backend', 'wasm', '--json'];
const MODEL_NAME = 'resnet18-cifar-w0.0625-10c-32px';

/** What PROGRESS selects, with the batch loss that ProgressEvent leaves out. */
type Progress = ProgressEvent & { loss?: number };

let test: TestApi;
let directory: string;
const clients: Client[] = [];
beforeAll(async () => {
  test = await startTestApi({ API_TOKEN: TOKEN });
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-track-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map(async (client) => client.dispose()));
});
afterAll(async () => {
  await test?.close();
  await fs.rm(directory, { recursive: true, force: true });
});

/** Runs `resnet-lab` as a user does, without the token of whoever runs the tests unless `env` gives one. */
function resnetLab(args: readonly string[], env: Record<string, string> = {}) {
  const inherited = { ...process.env };
  delete inherited['RESNET_LAB_API_TOKEN'];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: root, env: { ...inherited, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ exitCode: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

function subscriptions(): Client {
  const client = createClient({
    url: test.api.subscriptionsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: AUTHORIZATION },
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}

/**
 * Holds every event the API records until `release()`, and tells the run id of the first: a subscription started
 * in between then misses nothing of the run.
 */
function holdRecording() {
  const recorder = test.api.services.recorder;
  const record = recorder.record.bind(recorder);
  let announce!: (runId: string) => void;
  const runId = new Promise<string>((resolve) => (announce = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  recorder.record = async (id, event, saved) => {
    announce(id);
    await released;
    return record(id, event, saved);
  };
  return { runId, release, restore: () => (recorder.record = record) };
}

/** Subscribes to the run's progress; resolves once the API listens for it, with the events to come. */
async function subscribeToProgress(runId: string, onEvent?: (event: Progress) => void) {
  const events = collect<Progress>(subscriptions(), PROGRESS, { runId }, onEvent);
  await vi.waitFor(() => expect(test.api.services.events.hasProgressListeners(runId)).toBe(true));
  return { events };
}

/**
 * A double as it comes back from the database: Prisma's query parameters keep 16 significant digits, not the 17 a
 * double may need (prisma/orm#11096, #22249), so 1.0996339797973633 is stored as 1.099633979797363.
 */
function storedByPrisma(value: number): number {
  return Number(value.toPrecision(16));
}

async function directorySize(location: string): Promise<number> {
  let total = 0;
  for (const name of await fs.readdir(location)) total += (await fs.stat(path.join(location, name))).size;
  return total;
}

describe('resnet-lab train --track', () => {
  it('shows the run live: batches and epochs reach runProgress in order, and it ends COMPLETED', async () => {
    const out = path.join(directory, 'tracked');
    const hold = holdRecording();
    let progress: Promise<Progress[]>;
    let result: Awaited<ReturnType<typeof resnetLab>>;
    try {
      const cli = resnetLab([
        'train',
        ...TINY,
        '--epochs',
        '2',
        '--out',
        out,
        '--track',
        test.api.url,
        '--track-token',
        TOKEN,
      ]);
      ({ events: progress } = await subscribeToProgress(await hold.runId));
      hold.release();
      result = await cli;
    } finally {
      hold.restore();
    }
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const printed = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TrainingEvent | { kind: 'result' })
      .filter((event): event is TrainingEvent => event.kind !== 'result');
    const printedBatches = printed.filter((event) => event.kind === 'batch');
    const printedEpochs = printed.filter((event): event is EpochEvent => event.kind === 'epoch');

    const events = await progress;
    expect(events.map((event) => event.__typename)).toEqual([
      ...Array<string>(10).fill('BatchProgress'),
      'EpochCompleted',
      'CheckpointSaved',
      ...Array<string>(10).fill('BatchProgress'),
      'EpochCompleted',
      'CheckpointSaved',
      'RunStatusChanged',
    ]);
    const batches = events.filter((event) => event.__typename === 'BatchProgress');
    expect(batches.map((event) => [event.epoch, event.batch, event.batches, event.loss])).toEqual(
      printedBatches.map((event) => [event.epoch, event.batch, event.batches, event.loss]),
    );
    expect(
      events.filter((event) => event.__typename === 'EpochCompleted').map((event) => event.metric!.trainLoss),
    ).toEqual(printedEpochs.map((event) => storedByPrisma(event.trainLoss)));
    expect(events.at(-1)).toMatchObject({ status: 'COMPLETED', errorMessage: null });

    const runId = await hold.runId;
    const stored = await test.execute<{ run: Record<string, unknown> }>(
      `query($id: ID!) { run(id: $id) {
        source status epochs progress backend hyperparameters { batchSize epochs }
        model { name architecture { arch stem width classes inputSize } }
        dataset { name }
        metrics { epoch trainLoss testAccuracy }
        checkpoints { epoch location sizeBytes sha256 isBest }
      } }`,
      { id: runId },
    );
    expect(stored.errors).toBeUndefined();
    expect(stored.data!.run).toEqual({
      source: 'CLI',
      status: 'COMPLETED',
      epochs: 2,
      progress: 1,
      backend: 'wasm',
      hyperparameters: { batchSize: 100, epochs: 2 },
      model: {
        name: MODEL_NAME,
        architecture: { arch: 'resnet18', stem: 'cifar', width: 0.0625, classes: 10, inputSize: 32 },
      },
      dataset: { name: 'synthetic' },
      metrics: printedEpochs.map((event) => ({
        epoch: event.epoch,
        trainLoss: storedByPrisma(event.trainLoss),
        testAccuracy: event.testAccuracy === null ? null : storedByPrisma(event.testAccuracy),
      })),
      checkpoints: await Promise.all(
        printedEpochs.map(async (event) => {
          const location = path.join(out, 'checkpoints', `epoch-000${event.epoch}`);
          return {
            epoch: event.epoch,
            location,
            // The API leaves a CLI run's files alone: both epochs' directories are still there.
            sizeBytes: await directorySize(location),
            sha256: event.weightsSha256,
            isBest: event.isBest,
          };
        }),
      ),
    });
  });

  it('stops at the next batch when the run is cancelled through the API, and ends it CANCELLED', async () => {
    const hold = holdRecording();
    hold.release();
    let cli: ReturnType<typeof resnetLab>;
    let runId: string;
    try {
      // The token from the environment, as --track-token's default.
      cli = resnetLab(
        ['train', ...TINY, '--epochs', '50', '--out', path.join(directory, 'cancelled'), '--track', test.api.url],
        {
          RESNET_LAB_API_TOKEN: TOKEN,
        },
      );
      runId = await hold.runId;
    } finally {
      hold.restore();
    }
    let firstBatch!: () => void;
    const batchSeen = new Promise<void>((resolve) => (firstBatch = resolve));
    const { events: progress } = await subscribeToProgress(runId, (event) => {
      if (event.__typename === 'BatchProgress') firstBatch();
    });
    await batchSeen;
    const cancelled = await test.execute<{ cancelRun: { status: string } }>(
      `mutation($id: ID!) { cancelRun(id: $id) { status } }`,
      { id: runId },
      AUTHORIZATION,
    );
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data!.cancelRun.status).toBe('CANCELLED');
    const result = await cli;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain('Cancelled through the API; stopping after the current batch...');
    const events = await progress;
    expect(events.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'CANCELLED' });
    expect(events.filter((event) => event.__typename === 'EpochCompleted').length).toBeLessThan(50);
  });

  it('exits 1 naming the URL when the API cannot be reached, before training', async () => {
    const url = `http://127.0.0.1:${await freePort()}/graphql`;
    const out = path.join(directory, 'unreachable');
    const result = await resnetLab(['train', ...TINY, '--epochs', '1', '--out', out, '--track', url]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^resnet-lab train: --track: Could not reach the API at ${url}: connect ECONNREFUSED .*\\.\\n$`),
    );
    expect(result.stdout).toBe('');
    await expect(fs.stat(out)).rejects.toThrow('ENOENT');
  });

  it("exits 1 with the API's reason when it refuses the run: here, without its token", async () => {
    const out = path.join(directory, 'refused');
    const result = await resnetLab(['train', ...TINY, '--epochs', '1', '--out', out, '--track', test.api.url]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `resnet-lab train: --track: The API at ${test.api.url} refused the request (UNAUTHENTICATED)`,
    );
  });
});

const TRACK_RUN = `mutation($input: TrackRunInput!) { trackRun(input: $input) { id name status source startedAt } }`;
const REPORT = `mutation($runId: ID!, $events: [String!]!) {
  reportTrainingEvents(runId: $runId, events: $events) { cancelRequested }
}`;
const FINISH = `mutation($runId: ID!, $status: RunStatus!, $errorMessage: String) {
  finishTrackedRun(runId: $runId, status: $status, errorMessage: $errorMessage) { status errorMessage finishedAt }
}`;

const CONFIG = {
  data: '/data/pets',
  arch: 'resnet18',
  stem: 'cifar',
  width: 0.25,
  epochs: 3,
  batchSize: 16,
};
const TRACK_INPUT = {
  modelName: 'pets-resnet18',
  arch: 'resnet18',
  stem: 'cifar',
  width: 0.25,
  classes: 2,
  inputSize: 32,
  datasetName: '/data/pets',
  datasetFormat: 'IMAGE_FOLDER',
  classNames: ['cat', 'dog'],
  config: JSON.stringify(CONFIG),
  outputDir: '/runs/pets',
};
const BACKEND = { name: 'cpu', device: 'CPU' };
const BATCH = {
  kind: 'batch',
  backend: BACKEND,
  epoch: 1,
  batch: 1,
  batches: 4,
  loss: 0.7,
  accuracy: 0.5,
  learningRate: 0.1,
  imagesPerSecond: 50,
  elapsedSeconds: 1,
};

function errorOf(result: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) {
  expect(result.errors, 'expected an error').toBeDefined();
  return result.errors![0]!;
}

async function track(input: Record<string, unknown> = {}) {
  const result = await test.execute<{ trackRun: { id: string; name: string; status: string; source: string } }>(
    TRACK_RUN,
    { input: { ...TRACK_INPUT, ...input } },
    AUTHORIZATION,
  );
  expect(result.errors).toBeUndefined();
  return result.data!.trackRun;
}

function report(runId: string, events: readonly unknown[]) {
  return test.execute<{ reportTrainingEvents: { cancelRequested: boolean } }>(
    REPORT,
    { runId, events: events.map((event) => (typeof event === 'string' ? event : JSON.stringify(event))) },
    AUTHORIZATION,
  );
}

describe('the tracking mutations', () => {
  it("registers a dataset on the CLI's machine without reading it, and reuses it and the model next time", async () => {
    const first = await track();
    expect(first).toMatchObject({ name: 'pets-resnet18 #1', status: 'RUNNING', source: 'CLI' });
    const second = await track({ name: 'second try' });
    expect(second.name).toBe('second try');
    const runs = await test.execute<{ compareRuns: { runs: Record<string, unknown>[] } }>(
      `query($ids: [ID!]!) { compareRuns(ids: $ids) { runs {
        model { id name } dataset { id name format location classNames builtIn available } } } }`,
      { ids: [first.id, second.id] },
    );
    const [a, b] = runs.data!.compareRuns.runs;
    expect(a).toEqual(b);
    expect(a!['dataset']).toMatchObject({
      name: 'pets',
      format: 'IMAGE_FOLDER',
      location: '/data/pets',
      classNames: ['cat', 'dog'],
      builtIn: false,
      available: false,
    });
  });

  it('refuses a model name taken by another architecture with CONFLICT naming both', async () => {
    await track();
    const error = errorOf(
      await test.execute(
        TRACK_RUN,
        { input: { ...TRACK_INPUT, width: 0.5, config: JSON.stringify({ ...CONFIG, width: 0.5 }) } },
        AUTHORIZATION,
      ),
    );
    expect(error.extensions).toMatchObject({ code: 'CONFLICT' });
    expect(error.message).toBe(
      "Model 'pets-resnet18' is resnet18 (stem cifar, width 0.25, 2 classes, 32x32 input), but the run trains " +
        'resnet18 (stem cifar, width 0.5, 2 classes, 32x32 input); track it under another model name.',
    );
  });

  it('refuses an invalid config with BAD_USER_INPUT naming its field', async () => {
    const error = errorOf(
      await test.execute(
        TRACK_RUN,
        { input: { ...TRACK_INPUT, config: JSON.stringify({ ...CONFIG, learningRate: -1 }) } },
        AUTHORIZATION,
      ),
    );
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'config.learningRate', value: -1 });
  });

  it('needs the token', async () => {
    const error = errorOf(await test.execute(TRACK_RUN, { input: TRACK_INPUT }));
    expect(error.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses an event without a required number, recording none of the batch', async () => {
    const { id } = await track();
    const error = errorOf(
      await report(id, [
        { event: BATCH, checkpointSizeBytes: null },
        { event: { ...BATCH, batch: 2, loss: null }, checkpointSizeBytes: null },
      ]),
    );
    expect(error).toMatchObject({
      message: 'Expected events[1].event.loss to be a finite number, got null.',
      extensions: { code: 'BAD_USER_INPUT', field: 'events[1].event.loss', value: null },
    });
    const kind = errorOf(await report(id, [{ event: { ...BATCH, kind: 'step' }, checkpointSizeBytes: null }]));
    expect(kind.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'events[0].event.kind', value: 'step' });
    const garbage = errorOf(await report(id, ['not json']));
    expect(garbage.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'events[0]' });
    const run = await test.execute<{ run: { currentBatch: number } }>(
      `query($id: ID!) { run(id: $id) { currentBatch } }`,
      {
        id,
      },
    );
    expect(run.data!.run.currentBatch).toBe(0);
  });

  it('stores the reported batches, those between progress writes included, for Run.batchMetrics', async () => {
    const { id } = await track();
    const batches = [1, 2, 3].map((batch) => ({ ...BATCH, batch, loss: batch / 10 }));
    const reported = await report(
      id,
      batches.map((event) => ({ event, checkpointSizeBytes: null })),
    );
    expect(reported.errors).toBeUndefined();
    const run = await test.execute<{ run: { batchMetrics: unknown[] } }>(
      `query($id: ID!) { run(id: $id) { batchMetrics { epoch batch step loss accuracy learningRate } } }`,
      { id },
    );
    expect(run).toEqual({
      data: {
        run: {
          batchMetrics: [1, 2, 3].map((batch) => ({
            epoch: 1,
            batch,
            step: batch,
            loss: batch / 10,
            accuracy: 0.5,
            learningRate: 0.1,
          })),
        },
      },
    });
  });

  it("refuses a checkpoint outside the run's own epoch directory", async () => {
    const { id } = await track();
    const epoch = {
      kind: 'epoch',
      backend: BACKEND,
      epoch: 1,
      epochs: 3,
      trainLoss: 0.7,
      trainAccuracy: 0.5,
      testLoss: null,
      testAccuracy: null,
      learningRate: 0.1,
      durationSeconds: 2,
      imagesPerSecond: 50,
      elapsedSeconds: 2,
      checkpoint: '/runs/pets/checkpoints/last',
      epochCheckpoint: '/etc',
      weightsSha256: '0'.repeat(64),
      isBest: true,
    };
    const error = errorOf(await report(id, [{ event: epoch, checkpointSizeBytes: 10 }]));
    expect(error).toMatchObject({
      message:
        "Expected events[0].event.epochCheckpoint to be the run's directory of epoch 1, " +
        '/runs/pets/checkpoints/epoch-0001, got /etc.',
      extensions: { code: 'BAD_USER_INPUT', field: 'events[0].event.epochCheckpoint', value: '/etc' },
    });
  });

  it('tells the CLI when cancelRun was called, and takes reports only while the run is RUNNING', async () => {
    const { id } = await track();
    expect((await report(id, [{ event: BATCH, checkpointSizeBytes: null }])).data).toEqual({
      reportTrainingEvents: { cancelRequested: false },
    });
    // cancelRun answers once the run has ended, which the CLI does when it learns of the request.
    const cancelling = test.execute<{ cancelRun: { status: string } }>(
      `mutation($id: ID!) { cancelRun(id: $id) { status } }`,
      { id },
      AUTHORIZATION,
    );
    await vi.waitFor(async () =>
      expect((await report(id, [])).data).toEqual({ reportTrainingEvents: { cancelRequested: true } }),
    );
    const finished = await test.execute<{ finishTrackedRun: { status: string; errorMessage: string | null } }>(
      FINISH,
      { runId: id, status: 'CANCELLED', errorMessage: 'ignored' },
      AUTHORIZATION,
    );
    expect(finished.data!.finishTrackedRun).toMatchObject({ status: 'CANCELLED', errorMessage: null });
    expect((await cancelling).data).toEqual({ cancelRun: { status: 'CANCELLED' } });

    const late = errorOf(await report(id, [{ event: BATCH, checkpointSizeBytes: null }]));
    expect(late).toMatchObject({
      message: `Run ${id} is CANCELLED: only a RUNNING run can report events.`,
      extensions: { code: 'CONFLICT' },
    });
    const again = errorOf(await test.execute(FINISH, { runId: id, status: 'COMPLETED' }, AUTHORIZATION));
    expect(again.extensions).toMatchObject({ code: 'CONFLICT' });
  });

  it("records FAILED with the CLI's message, and refuses a status that is not final", async () => {
    const { id } = await track();
    const running = errorOf(await test.execute(FINISH, { runId: id, status: 'RUNNING' }, AUTHORIZATION));
    expect(running.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'status', value: 'RUNNING' });
    const failed = await test.execute<{ finishTrackedRun: { status: string; errorMessage: string } }>(
      FINISH,
      { runId: id, status: 'FAILED', errorMessage: 'Out of memory' },
      AUTHORIZATION,
    );
    expect(failed.data!.finishTrackedRun).toMatchObject({ status: 'FAILED', errorMessage: 'Out of memory' });
  });

  it('refuses reports for a run that a worker trains', async () => {
    const model = await test.execute(
      `mutation { createModel(input: { name: "queued", arch: "resnet18", width: 0.0625 }) { id } }`,
      {},
      AUTHORIZATION,
    );
    expect(model.errors).toBeUndefined();
    const queued = await test.execute<{ startRun: { id: string } }>(
      `mutation { startRun(input: { modelName: "queued", datasetName: "synthetic", epochs: 1 }) { id } }`,
      {},
      AUTHORIZATION,
    );
    expect(queued.errors).toBeUndefined();
    const id = queued.data!.startRun.id;
    const error = errorOf(await report(id, []));
    expect(error).toMatchObject({
      message: `Run ${id} has source QUEUE: only runs started with trackRun (source CLI) can report events.`,
      extensions: { code: 'CONFLICT' },
    });
  });
});
