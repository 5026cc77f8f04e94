// Run logs and system metrics through the whole API: a real tiny run trained by a worker in this process (its log
// streamed live and stored, its training process sampled), the runLogs subscription's order, replay and end, the
// limits on stored lines, what a CLI-tracked run logs, the thinning of system metrics, and the argument errors.
import os from 'node:os';
import path from 'node:path';
import { LAST_CHECKPOINT } from '@resnet-lab/trainer';
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startTestApi, type TestApi } from '../test-support/test-api.js';
import { MAX_STORED_LOG_LINES } from './services/run-log-writer.js';
import { startRunWorker, type RunningWorker } from './worker/run-worker.js';

let test: TestApi;
const clients: Client[] = [];
let modelId: string;
let datasetId: string;

beforeAll(async () => {
  // A sample every second: the tiny run lasts a few.
  test = await startTestApi({ SYSTEM_METRICS_SECONDS: '1' });
  const model = await test.execute<{ createModel: { id: string } }>(
    `mutation { createModel(input: { name: "tiny", arch: "resnet18", width: 0.0625, classes: 4, inputSize: 16 }) { id } }`,
  );
  expect(model.errors).toBeUndefined();
  modelId = model.data!.createModel.id;
  const dataset = await test.execute<{ registerDataset: { id: string } }>(
    `mutation { registerDataset(input: { name: "tiny", format: SYNTHETIC,
      synthetic: { classes: 4, trainCount: 128, testCount: 64, imageSize: 16 } }) { id } }`,
  );
  expect(dataset.errors).toBeUndefined();
  datasetId = dataset.data!.registerDataset.id;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map(async (client) => client.dispose()));
});
afterAll(async () => {
  await test?.close();
});

interface LogLine {
  seq: number;
  stream: 'STDOUT' | 'STDERR' | 'SYSTEM';
  line: string;
}

const RUN_LOGS = `subscription($runId: ID!, $after: Int) { runLogs(runId: $runId, after: $after) { seq stream line } }`;
const LOGS = `query($id: ID!, $after: Int, $last: Int!) { run(id: $id) { logs(after: $after, last: $last) { seq stream line } } }`;

/** Subscribes to runLogs; `done` resolves with every line once the subscription completes, or with its errors. */
function subscribeToLogs(runId: string, after?: number) {
  const client = createClient({ url: test.api.subscriptionsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  clients.push(client);
  const lines: LogLine[] = [];
  const done = new Promise<{ lines: LogLine[]; errors: readonly GraphQLFormattedError[] }>((resolve, reject) => {
    client.subscribe<{ runLogs: LogLine }>(
      { query: RUN_LOGS, variables: { runId, after } },
      {
        next: (result) => {
          if (result.errors) resolve({ lines, errors: result.errors });
          else lines.push(result.data!.runLogs);
        },
        error: (error) =>
          Array.isArray(error)
            ? resolve({ lines, errors: error as GraphQLFormattedError[] })
            : reject(new Error(`The connection failed: ${String(error)}`, { cause: error })),
        complete: () => resolve({ lines, errors: [] }),
      },
    );
  });
  return { lines, done };
}

/** Subscribes, and returns once this API process listens for the run's lines. */
async function listenToLogs(runId: string, after?: number) {
  const subscription = subscribeToLogs(runId, after);
  await vi.waitFor(() => expect(test.api.services.events.logs.has(runId)).toBe(true));
  return subscription;
}

async function logs(id: string, last = MAX_STORED_LOG_LINES, after?: number): Promise<LogLine[]> {
  const result = await test.execute<{ run: { logs: LogLine[] } }>(LOGS, { id, last, after });
  expect(result.errors).toBeUndefined();
  return result.data!.run.logs;
}

/** A RUNNING run row, for tests that write its log themselves. */
async function runningRun(): Promise<string> {
  const run = await test.api.services.prisma.run.create({
    data: { name: 'by hand', modelId, datasetId, config: {}, epochs: 1, outputDir: '', status: 'RUNNING' },
  });
  return run.id;
}

/** Matches a string that `pattern` matches, where a string is expected. */
function matching(pattern: RegExp): string {
  return expect.stringMatching(pattern) as string;
}

/** A string as a RegExp that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const numbered = (lines: Omit<LogLine, 'seq'>[], first = 1) =>
  lines.map((line, index) => ({ seq: first + index, ...line }));

describe('a run trained by a worker', () => {
  let worker: RunningWorker;
  afterAll(async () => {
    await worker?.stop();
  });

  it('streams what the worker prints while it trains, stores the same lines, and samples its process', async () => {
    const started = await test.execute<{ startRun: { id: string; status: string } }>(
      `mutation { startRun(input: { modelName: "tiny", datasetName: "tiny", epochs: 2, batchSize: 32,
        learningRate: 0.05, schedule: "constant", seed: 3, backend: "wasm" }) { id status } }`,
    );
    expect(started.errors).toBeUndefined();
    const runId = started.data!.startRun.id;
    expect(started.data!.startRun.status).toBe('QUEUED');
    // Listening before any worker exists: every line of the run has to come live.
    const live = await listenToLogs(runId);
    const workerLogs: string[] = [];
    worker = await startRunWorker(test.api.services.config, { log: (line) => workerLogs.push(line) });
    const { lines, errors } = await live.done;
    expect(errors).toEqual([]);

    const prisma = test.api.services.prisma;
    const run = await prisma.run.findUniqueOrThrow({ where: { id: runId }, include: { model: true } });
    expect(run.status).toBe('COMPLETED');
    const pid = Number(/^Training process (\d+) started\.$/.exec(lines[1]!.line)?.[1]);
    const number = String.raw`\d+\.\d+`;
    const lastCheckpoint = path.join(test.api.services.artifacts.resolve(run.outputDir), LAST_CHECKPOINT);
    const epoch = (n: number) => [
      { stream: 'STDOUT', line: '' },
      { stream: 'STDOUT', line: `[Train epoch ${n}] learning rate 0.05` },
      {
        stream: 'STDOUT',
        line: matching(new RegExp(`^Batch 0/4: accuracy ${number}, loss ${number}, ${number} images/s$`)),
      },
      {
        stream: 'STDOUT',
        line: matching(new RegExp(`^Train: accuracy ${number}, loss ${number}, ${number} images/s$`)),
      },
      {
        stream: 'STDOUT',
        line: matching(new RegExp(`^\\[Test epoch ${n}\\] accuracy ${number}, loss ${number}$`)),
      },
      {
        stream: 'STDOUT',
        // The first epoch is the best so far; whether the second is depends on its accuracy.
        line:
          n === 1
            ? `Checkpoint saved: ${lastCheckpoint} (best so far)`
            : matching(new RegExp(`^Checkpoint saved: ${escape(lastCheckpoint)}( \\(best so far\\))?$`)),
      },
      { stream: 'STDOUT', line: matching(new RegExp(`^Time elapsed: ${number} s$`)) },
    ];
    // Lines 1 to n, in order, exactly as the run's log stores them.
    expect(lines).toEqual(await logs(runId));
    expect(lines.map(({ stream, line }) => ({ stream, line }))).toEqual([
      { stream: 'SYSTEM', line: `Claimed by worker ${worker.id} on ${os.hostname()} (attempt 1).` },
      { stream: 'SYSTEM', line: `Training process ${pid} started.` },
      { stream: 'STDOUT', line: matching(/^Backend: wasm \(CPU \(wasm, .+\)\)$/) },
      { stream: 'STDOUT', line: 'Data: 128 training, 64 test images, 4 classes' },
      {
        stream: 'STDOUT',
        line: `Model: ${Number(run.model.parameterCount).toLocaleString('en-US')} parameters, ${(Number(run.model.macs) / 1e6).toFixed(1)} M MACs per image, pytorch-default initialization`,
      },
      ...epoch(1),
      ...epoch(2),
      { stream: 'STDOUT', line: '' },
      {
        stream: 'STDOUT',
        line: matching(
          new RegExp(
            `^Finished after 2 epochs, best test accuracy ${number} in ${number} s on wasm \\(.+\\)\\. Run directory: `,
          ),
        ),
      },
      { stream: 'SYSTEM', line: `Training process ${pid} exited with code 0.` },
      { stream: 'SYSTEM', line: 'Run completed.' },
    ]);
    expect(lines.map((line) => line.seq)).toEqual(lines.map((_, index) => index + 1));

    // Samples of the training process, one a second while it lived: a busy CPU, and the memory of a Node process
    // with TensorFlow.js loaded; no GPU on wasm.
    const samples = await prisma.systemMetric.findMany({ where: { runId }, orderBy: { at: 'asc' } });
    expect(samples.length, 'a run of a few seconds gives at least two samples').toBeGreaterThanOrEqual(2);
    const points = await test.execute<{ run: { systemMetrics: Record<string, unknown>[] } }>(
      `query($id: ID!) { run(id: $id) { systemMetrics { at cpuPercent memoryBytes systemMemoryUsedBytes gpuUtilization gpuMemoryBytes } } }`,
      { id: runId },
    );
    expect(points.errors).toBeUndefined();
    expect(points.data!.run.systemMetrics).toEqual(
      samples.map((sample) => ({
        at: sample.at.toISOString(),
        cpuPercent: sample.cpuPercent,
        memoryBytes: Number(sample.memoryBytes),
        systemMemoryUsedBytes: Number(sample.systemMemoryUsedBytes),
        gpuUtilization: null,
        gpuMemoryBytes: null,
      })),
    );
    for (const sample of samples) {
      expect(sample.at.getTime()).toBeGreaterThan(run.startedAt!.getTime());
      expect(sample.at.getTime()).toBeLessThanOrEqual(run.finishedAt!.getTime());
      expect(sample.cpuPercent).toBeGreaterThanOrEqual(0);
      // 10 ms ticks over a 1 s interval: at most one tick per core over.
      expect(sample.cpuPercent).toBeLessThanOrEqual(os.availableParallelism() * 100 + 10);
      expect(Number(sample.memoryBytes)).toBeGreaterThan(30 * 2 ** 20);
      expect(Number(sample.memoryBytes)).toBeLessThan(4 * 2 ** 30);
      expect(Number(sample.systemMemoryUsedBytes)).toBeLessThanOrEqual(os.totalmem());
      expect(Number(sample.systemMemoryUsedBytes)).toBeGreaterThan(Number(sample.memoryBytes));
    }
    // Training keeps a core busy: even on a loaded machine, a tenth of it in some second.
    expect(Math.max(...samples.map((sample) => sample.cpuPercent))).toBeGreaterThan(10);
    expect(workerLogs.filter((line) => line.includes(runId))).toEqual([]);
  }, 180_000);
});

describe('runLogs', () => {
  it('delivers lines live in order as they are stored, and ends when the run ends', async () => {
    const runId = await runningRun();
    const { lines, done } = await listenToLogs(runId);
    const { logWriter, recorder } = test.api.services;
    logWriter.append(runId, 'STDOUT', 'one');
    logWriter.append(runId, 'STDERR', 'two');
    logWriter.append(runId, 'SYSTEM', 'three');
    await logWriter.flush(runId);
    await vi.waitFor(() => expect(lines).toHaveLength(3));
    logWriter.append(runId, 'STDOUT', 'four');
    await logWriter.end(runId);
    await recorder.finish(runId, { status: 'COMPLETED', errorMessage: null });
    const expected = numbered([
      { stream: 'STDOUT', line: 'one' },
      { stream: 'STDERR', line: 'two' },
      { stream: 'SYSTEM', line: 'three' },
      { stream: 'STDOUT', line: 'four' },
    ]);
    expect(await done).toEqual({ lines: expected, errors: [] });

    // Once the run has ended: the stored lines after the one given, then the end; without `after`, only the end.
    expect(await subscribeToLogs(runId, 2).done).toEqual({ lines: expected.slice(2), errors: [] });
    expect(await subscribeToLogs(runId, 0).done).toEqual({ lines: expected, errors: [] });
    expect(await subscribeToLogs(runId).done).toEqual({ lines: [], errors: [] });
  });

  it('gives NOT_FOUND for an unknown run and BAD_USER_INPUT for a negative after', async () => {
    const unknown = await subscribeToLogs('no-such-run').done;
    expect(unknown.lines).toEqual([]);
    // Errors of a subscription's source stream come as graphql-ws `error` messages, without a path.
    expect(unknown.errors).toEqual([
      { message: "No run with id 'no-such-run'.", extensions: { code: 'NOT_FOUND', id: 'no-such-run' } },
    ]);
    const negative = await subscribeToLogs(await runningRun(), -1).done;
    expect(negative.errors).toEqual([
      {
        message: 'Expected after to be a line number, 0 or more, got -1.',
        extensions: { code: 'BAD_USER_INPUT', field: 'after', value: -1 },
      },
    ]);
  });
});

describe('Run.logs', () => {
  it('keeps the last 10,000 lines, each at most 4,000 characters, without NUL', async () => {
    const runId = await runningRun();
    const { logWriter, prisma } = test.api.services;
    // A thousand at a time, as fast as they are written.
    for (let index = 1; index <= MAX_STORED_LOG_LINES + 3; index++) {
      logWriter.append(runId, 'STDOUT', `line ${index}`);
      if (index % 1000 === 0) await logWriter.flush(runId);
    }
    await logWriter.end(runId);
    const stored = await prisma.runLog.aggregate({
      where: { runId },
      _count: true,
      _min: { seq: true },
      _max: { seq: true },
    });
    expect(stored).toEqual({ _count: MAX_STORED_LOG_LINES, _min: { seq: 4 }, _max: { seq: MAX_STORED_LOG_LINES + 3 } });

    // The last `last` of the lines numbered above `after`.
    const last = MAX_STORED_LOG_LINES + 3;
    expect(await logs(runId, 2)).toEqual(
      numbered(
        [
          { stream: 'STDOUT', line: `line ${last - 1}` },
          { stream: 'STDOUT', line: `line ${last}` },
        ],
        last - 1,
      ),
    );
    expect((await logs(runId, 3, 5)).map((line) => line.seq)).toEqual([last - 2, last - 1, last]);
    expect((await logs(runId, 3, 4)).map((line) => line.seq)).toEqual([last - 2, last - 1, last]);
    expect(await logs(runId, 5, last)).toEqual([]);
    const defaultPage = await test.execute<{ run: { logs: LogLine[] } }>(
      `query($id: ID!) { run(id: $id) { logs { seq } } }`,
      {
        id: runId,
      },
    );
    expect(defaultPage.data!.run.logs.map((line) => line.seq)).toEqual(
      Array.from({ length: 500 }, (_, index) => last - 499 + index),
    );

    // Lines that come faster than they are written: the newest 5,000 wait, and the numbers of the others are left out.
    const flooded = await runningRun();
    for (let index = 1; index <= 6000; index++) logWriter.append(flooded, 'STDOUT', `line ${index}`);
    await logWriter.end(flooded);
    expect(
      await prisma.runLog.aggregate({
        where: { runId: flooded },
        _count: true,
        _min: { seq: true },
        _max: { seq: true },
      }),
    ).toEqual({ _count: 5000, _min: { seq: 1001 }, _max: { seq: 6000 } });
    expect((await logs(flooded, 1, 1000))[0]).toEqual({ seq: 6000, stream: 'STDOUT', line: 'line 6000' });

    const cut = await logWriterRoundTrip(['y'.repeat(5000), 'a\u0000b']);
    expect(cut.map((line) => [line.line.length, line.line.slice(-2)])).toEqual([
      [4000, 'y…'],
      [3, '\uFFFDb'],
    ]);
  });

  it('refuses a last outside 1 to 10000 and a negative after with BAD_USER_INPUT', async () => {
    const runId = await runningRun();
    // Variables, not literals: the cost limit multiplies a literal page size, and would refuse 10001 first.
    const errors = async (variables: Record<string, unknown>) =>
      (await test.execute(LOGS, { id: runId, ...variables })).errors?.map(({ message, extensions, path }) => ({
        message,
        extensions,
        path,
      }));
    expect(await errors({ last: 0 })).toEqual([
      {
        message: 'Expected last to be from 1 to 10000, got 0.',
        extensions: { code: 'BAD_USER_INPUT', field: 'last', value: 0 },
        path: ['run', 'logs'],
      },
    ]);
    expect(await errors({ last: 10001 })).toEqual([
      {
        message: 'Expected last to be from 1 to 10000, got 10001.',
        extensions: { code: 'BAD_USER_INPUT', field: 'last', value: 10001 },
        path: ['run', 'logs'],
      },
    ]);
    expect(await errors({ after: -3, last: 10 })).toEqual([
      {
        message: 'Expected after to be a line number, 0 or more, got -3.',
        extensions: { code: 'BAD_USER_INPUT', field: 'after', value: -3 },
        path: ['run', 'logs'],
      },
    ]);
  });

  it('holds what the CLI prints for the events of a run that `resnet-lab train --track` reports', async () => {
    const tracked = await test.execute<{ trackRun: { id: string } }>(
      `mutation($input: TrackRunInput!) { trackRun(input: $input) { id } }`,
      {
        input: {
          modelName: 'tracked',
          arch: 'resnet18',
          stem: 'cifar',
          width: 0.0625,
          classes: 4,
          inputSize: 16,
          datasetName: 'synthetic',
          datasetFormat: 'SYNTHETIC',
          classNames: ['a', 'b', 'c', 'd'],
          config: JSON.stringify({ data: 'synthetic', width: 0.0625, epochs: 1, batchSize: 32 }),
          outputDir: '/runs/tracked',
        },
      },
    );
    expect(tracked.errors).toBeUndefined();
    const runId = tracked.data!.trackRun.id;
    const batch = (batch: number) => ({
      event: {
        kind: 'batch',
        backend: { name: 'cpu', device: 'CPU' },
        epoch: 1,
        batch,
        batches: 4,
        loss: 0.7,
        accuracy: 0.5,
        learningRate: 0.1,
        imagesPerSecond: 50,
        elapsedSeconds: batch,
      },
      checkpointSizeBytes: null,
    });
    const reported = await test.execute(
      `mutation($runId: ID!, $events: [String!]!) { reportTrainingEvents(runId: $runId, events: $events) { cancelRequested } }`,
      { runId, events: [batch(1), batch(2)].map((event) => JSON.stringify(event)) },
    );
    expect(reported.errors).toBeUndefined();
    const finished = await test.execute(
      `mutation($runId: ID!) { finishTrackedRun(runId: $runId, status: FAILED, errorMessage: "Interrupted") { status } }`,
      { runId },
    );
    expect(finished.errors).toBeUndefined();
    expect(await logs(runId)).toEqual(
      numbered([
        { stream: 'SYSTEM', line: 'Tracked: `resnet-lab train --track` trains it in /runs/tracked.' },
        { stream: 'STDOUT', line: '' },
        { stream: 'STDOUT', line: '[Train epoch 1] learning rate 0.1' },
        { stream: 'STDOUT', line: 'Batch 0/4: accuracy 0.5000, loss 0.7000, 50.0 images/s' },
        { stream: 'SYSTEM', line: 'The CLI finished the run: FAILED: Interrupted' },
      ]),
    );
  });
});

describe('Run.systemMetrics', () => {
  it('thins the samples evenly to maxPoints, first and last included, and converts bytes to numbers', async () => {
    const runId = await runningRun();
    const { systemMetrics } = test.api.services;
    const at = (second: number) => new Date(Date.UTC(2026, 11, 2, 12, 0, second));
    for (let second = 0; second < 10; second++) {
      await systemMetrics.record(runId, {
        at: at(second),
        cpuPercent: 100 + second,
        memoryBytes: 2 ** 33 + second,
        systemMemoryUsedBytes: second % 2 === 0 ? null : 2 ** 34,
        gpuUtilization: second % 2 === 0 ? null : 50,
        gpuMemoryBytes: second % 2 === 0 ? null : 2 ** 31,
      });
    }
    const query = async (maxPoints: number) =>
      test.execute<{ run: { systemMetrics: { at: string; cpuPercent: number }[] } }>(
        `query($id: ID!, $maxPoints: Int!) { run(id: $id) { systemMetrics(maxPoints: $maxPoints) { at cpuPercent } } }`,
        { id: runId, maxPoints },
      );
    const cpu = async (maxPoints: number) =>
      (await query(maxPoints)).data!.run.systemMetrics.map((point) => point.cpuPercent);
    // Of 10 samples, 4 points: floor(i * 3 / 9) first takes 0, 1, 2, 3 at i = 0, 3, 6, 9.
    expect(await cpu(4)).toEqual([100, 103, 106, 109]);
    expect(await cpu(1)).toEqual([100]);
    expect(await cpu(2)).toEqual([100, 109]);
    expect(await cpu(10)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    const whole = await test.execute<{ run: { systemMetrics: unknown[] } }>(
      `query($id: ID!) { run(id: $id) { systemMetrics(maxPoints: 2) { at cpuPercent memoryBytes systemMemoryUsedBytes gpuUtilization gpuMemoryBytes } } }`,
      { id: runId },
    );
    expect(whole).toEqual({
      data: {
        run: {
          systemMetrics: [
            {
              at: at(0).toISOString(),
              cpuPercent: 100,
              memoryBytes: 2 ** 33,
              systemMemoryUsedBytes: null,
              gpuUtilization: null,
              gpuMemoryBytes: null,
            },
            {
              at: at(9).toISOString(),
              cpuPercent: 109,
              memoryBytes: 2 ** 33 + 9,
              systemMemoryUsedBytes: 2 ** 34,
              gpuUtilization: 50,
              gpuMemoryBytes: 2 ** 31,
            },
          ],
        },
      },
      errors: undefined,
    });
  });

  it('refuses a maxPoints outside 1 to 5000 with BAD_USER_INPUT', async () => {
    const runId = await runningRun();
    for (const maxPoints of [0, 5001]) {
      const result = await test.execute(
        `query($id: ID!, $maxPoints: Int!) { run(id: $id) { systemMetrics(maxPoints: $maxPoints) { at } } }`,
        {
          id: runId,
          maxPoints,
        },
      );
      expect(result.errors?.map(({ message, extensions, path }) => ({ message, extensions, path }))).toEqual([
        {
          message: `Expected maxPoints to be from 1 to 5000, got ${maxPoints}.`,
          extensions: { code: 'BAD_USER_INPUT', field: 'maxPoints', value: maxPoints },
          path: ['run', 'systemMetrics'],
        },
      ]);
    }
  });
});

/** Writes lines to a fresh run's log and reads them back. */
async function logWriterRoundTrip(texts: readonly string[]): Promise<LogLine[]> {
  const runId = await runningRun();
  for (const text of texts) test.api.services.logWriter.append(runId, 'STDOUT', text);
  await test.api.services.logWriter.end(runId);
  return logs(runId);
}
