import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchEvent, EpochEvent } from '../training/training-events.js';
import { TrackRunError, trackRun, type TrackRunInput, type TrackRunOptions } from './track-run.js';

const INPUT: TrackRunInput = {
  modelName: 'resnet18-cifar-w0.0625-10c-32px',
  arch: 'resnet18',
  stem: 'cifar',
  width: 0.0625,
  classes: 2,
  inputSize: 32,
  datasetName: 'synthetic',
  datasetFormat: 'SYNTHETIC',
  classNames: ['stripes', 'checks'],
  config: '{"data":"synthetic"}',
  outputDir: '/tmp/run',
};

const BACKEND = { name: 'cpu', device: 'CPU' };

function batchEvent(batch: number): BatchEvent {
  return {
    kind: 'batch',
    backend: BACKEND,
    epoch: 1,
    batch,
    batches: 10,
    loss: 2,
    accuracy: 0.5,
    learningRate: 0.1,
    imagesPerSecond: 100,
    elapsedSeconds: batch,
  };
}

function epochEvent(epochCheckpoint: string | null): EpochEvent {
  return {
    kind: 'epoch',
    backend: BACKEND,
    epoch: 1,
    epochs: 2,
    trainLoss: 2,
    trainAccuracy: 0.5,
    testLoss: 2.1,
    testAccuracy: 0.4,
    learningRate: 0.1,
    durationSeconds: 3,
    imagesPerSecond: 100,
    elapsedSeconds: 3,
    checkpoint: '/tmp/run/checkpoints/last',
    epochCheckpoint,
    weightsSha256: 'a'.repeat(64),
    isBest: true,
  };
}

interface Received {
  readonly operation: string;
  readonly variables: Record<string, unknown>;
  readonly authorization: string | undefined;
}

interface Answer {
  readonly status?: number;
  readonly body?: unknown;
  /** Closes the connection without an answer, as a crashed server does. */
  readonly hangUp?: boolean;
}

const OK: Record<string, Answer> = {
  TrackRun: { body: { data: { trackRun: { id: 'run-1' } } } },
  ReportTrainingEvents: { body: { data: { reportTrainingEvents: { cancelRequested: false } } } },
  FinishTrackedRun: { body: { data: { finishTrackedRun: { id: 'run-1' } } } },
};

/** A stand-in for the API on 127.0.0.1: records every request and answers as `answer` says (default: success). */
async function startFakeApi(answer: (received: Received, index: number) => Answer | undefined = () => undefined) {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((request, response) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.on('close', () => inFlight--);
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const body = JSON.parse(text) as { query: string; variables: Record<string, unknown> };
      const operation = /mutation (\w+)/.exec(body.query)![1]!;
      const entry = { operation, variables: body.variables, authorization: request.headers.authorization };
      received.push(entry);
      const reply = answer(entry, received.length - 1) ?? OK[operation]!;
      // Answers leave after the request is counted, so that a second concurrent request would overlap this one.
      setImmediate(() => {
        if (reply.hangUp) return void request.socket.destroy();
        response.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(reply.body));
      });
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    received,
    maxInFlight: () => maxInFlight,
    /** Resolves once `count` requests have arrived. */
    requests: (count: number) =>
      new Promise<void>((resolve) => {
        if (received.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
    reports: () =>
      received
        .filter((entry) => entry.operation === 'ReportTrainingEvents')
        .map((entry) => (entry.variables['events'] as string[]).map((text) => JSON.parse(text) as unknown)),
  };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Options that make a test's timing irrelevant: nothing is sent for waiting, retries do not wait. */
function options(extra: Partial<TrackRunOptions> = {}) {
  const warnings: string[] = [];
  const delays: number[] = [];
  return {
    warnings,
    delays,
    options: {
      warn: (message: string) => warnings.push(message),
      flushIntervalMs: 60_000,
      retryDelaysMs: [100, 200, 400],
      delay: (ms: number) => {
        delays.push(ms);
        return Promise.resolve();
      },
      ...extra,
    } satisfies TrackRunOptions,
  };
}

describe('trackRun', () => {
  it('registers the run, then sends its events in order, in batches of at most maxBatchEvents, one at a time', async () => {
    const api = await startFakeApi();
    const { options: trackOptions, warnings } = options({ maxBatchEvents: 3 });
    const tracked = await trackRun(api.url, 'secret', INPUT, trackOptions);
    expect(tracked.runId).toBe('run-1');
    for (let batch = 1; batch <= 7; batch++) tracked.report(batchEvent(batch));
    await tracked.finish('COMPLETED');

    expect(api.received.map((entry) => entry.operation)).toEqual([
      'TrackRun',
      'ReportTrainingEvents',
      'ReportTrainingEvents',
      'ReportTrainingEvents',
      'FinishTrackedRun',
    ]);
    expect(api.received[0]!.variables).toEqual({ input: INPUT });
    expect(api.received.every((entry) => entry.authorization === 'Bearer secret')).toBe(true);
    expect(api.reports()).toEqual([
      [1, 2, 3].map((batch) => ({ event: batchEvent(batch), checkpointSizeBytes: null })),
      [4, 5, 6].map((batch) => ({ event: batchEvent(batch), checkpointSizeBytes: null })),
      [{ event: batchEvent(7), checkpointSizeBytes: null }],
    ]);
    expect(api.received.at(-1)!.variables).toEqual({ runId: 'run-1', status: 'COMPLETED', errorMessage: null });
    expect(api.maxInFlight()).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('sends an epoch event at once, with what waits before it and the size of its checkpoint directory', async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'track-run-'));
    try {
      await fs.writeFile(path.join(directory, 'model.json'), 'abc');
      await fs.writeFile(path.join(directory, 'weights.bin'), Buffer.alloc(1000));
      const api = await startFakeApi();
      const tracked = await trackRun(api.url, undefined, INPUT, options().options);
      tracked.report(batchEvent(1));
      tracked.report(epochEvent(directory));
      await api.requests(2);
      expect(api.reports()).toEqual([
        [
          { event: batchEvent(1), checkpointSizeBytes: null },
          { event: epochEvent(directory), checkpointSizeBytes: 1003 },
        ],
      ]);
      expect(api.received[0]!.authorization).toBeUndefined();
      await tracked.finish('COMPLETED');
    } finally {
      await fs.rm(directory, { recursive: true, force: true });
    }
  });

  it('sends a lone batch event once it has waited the flush interval', async () => {
    const api = await startFakeApi();
    const tracked = await trackRun(api.url, undefined, INPUT, options({ flushIntervalMs: 10 }).options);
    tracked.report(batchEvent(1));
    await api.requests(2);
    expect(api.reports()).toEqual([[{ event: batchEvent(1), checkpointSizeBytes: null }]]);
    await tracked.finish('COMPLETED');
    expect(api.received.map((entry) => entry.operation)).toEqual([
      'TrackRun',
      'ReportTrainingEvents',
      'FinishTrackedRun',
    ]);
  });

  it('retries a failed request with growing waits, and delivers its events once, in order', async () => {
    const api = await startFakeApi((_, index) => {
      if (index === 1) return { hangUp: true };
      if (index === 2) return { status: 503, body: { error: 'unavailable' } };
      return undefined;
    });
    const { options: trackOptions, delays, warnings } = options();
    const tracked = await trackRun(api.url, undefined, INPUT, trackOptions);
    tracked.report(batchEvent(1));
    tracked.report(epochEvent(null));
    tracked.report(batchEvent(2));
    await tracked.finish('CANCELLED');

    expect(delays).toEqual([100, 200]);
    const expected = [
      { event: batchEvent(1), checkpointSizeBytes: null },
      { event: epochEvent(null), checkpointSizeBytes: null },
    ];
    // The failed attempts carried the same batch; the batch event after the epoch went on its own.
    expect(api.reports()).toEqual([
      expected,
      expected,
      expected,
      [{ event: batchEvent(2), checkpointSizeBytes: null }],
    ]);
    expect(api.received.at(-1)!.variables).toEqual({ runId: 'run-1', status: 'CANCELLED', errorMessage: null });
    expect(warnings).toEqual([]);
  });

  it('gives up when the API stays unreachable: one warning, later events dropped, one attempt to finish', async () => {
    const api = await startFakeApi((received) =>
      received.operation === 'TrackRun' ? undefined : { status: 503, body: { error: 'unavailable' } },
    );
    let gaveUp!: () => void;
    const warned = new Promise<void>((resolve) => (gaveUp = resolve));
    const warnings: string[] = [];
    const { options: trackOptions } = options({
      warn: (message) => {
        warnings.push(message);
        gaveUp();
      },
    });
    const tracked = await trackRun(api.url, undefined, INPUT, trackOptions);
    tracked.report(epochEvent(null));
    await warned;
    tracked.report(batchEvent(2));
    tracked.report(epochEvent(null));
    await tracked.finish('FAILED', 'Out of memory');

    expect(api.received.map((entry) => entry.operation)).toEqual([
      'TrackRun',
      ...Array<string>(4).fill('ReportTrainingEvents'),
      'FinishTrackedRun',
    ]);
    expect(api.received.at(-1)!.variables).toEqual({ runId: 'run-1', status: 'FAILED', errorMessage: 'Out of memory' });
    expect(warnings).toEqual([
      `stopped reporting to the API: The API at ${api.url} answered HTTP 503 without a GraphQL result; is it the ` +
        'GraphQL endpoint (e.g. http://localhost:4000/graphql)? Training goes on untracked; checkpoints are still ' +
        'saved in the run directory.',
    ]);
  });

  it('does not retry a request the API refused, and says why', async () => {
    const refusal = { message: 'Run run-1 is COMPLETED: only a RUNNING run can report events.', code: 'CONFLICT' };
    const api = await startFakeApi((received) =>
      received.operation === 'TrackRun'
        ? undefined
        : { body: { errors: [{ message: refusal.message, extensions: { code: refusal.code } }], data: null } },
    );
    const { options: trackOptions, warnings, delays } = options();
    const tracked = await trackRun(api.url, undefined, INPUT, trackOptions);
    tracked.report(epochEvent(null));
    await tracked.finish('COMPLETED');

    expect(delays).toEqual([]);
    expect(api.received.map((entry) => entry.operation)).toEqual([
      'TrackRun',
      'ReportTrainingEvents',
      'FinishTrackedRun',
    ]);
    expect(warnings).toEqual([
      `stopped reporting to the API: The API at ${api.url} refused the request (CONFLICT): ${refusal.message} ` +
        'Training goes on untracked; checkpoints are still saved in the run directory.',
    ]);
  });

  it('calls onCancelRequested once when the API answers that cancelRun was called', async () => {
    const api = await startFakeApi((received) =>
      received.operation === 'ReportTrainingEvents'
        ? { body: { data: { reportTrainingEvents: { cancelRequested: true } } } }
        : undefined,
    );
    let cancels = 0;
    const tracked = await trackRun(
      api.url,
      undefined,
      INPUT,
      options({ maxBatchEvents: 1, onCancelRequested: () => cancels++ }).options,
    );
    tracked.report(batchEvent(1));
    tracked.report(batchEvent(2));
    await tracked.finish('CANCELLED');
    expect(api.reports()).toHaveLength(2);
    expect(cancels).toBe(1);
  });

  it('fails with a TrackRunError naming the URL when nothing listens there', async () => {
    const api = await startFakeApi();
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const port = new URL(api.url).port;
    const started = trackRun(api.url, undefined, INPUT, options().options);
    await expect(started).rejects.toThrow(TrackRunError);
    await expect(started).rejects.toThrow(
      `Could not reach the API at ${api.url}: connect ECONNREFUSED 127.0.0.1:${port}.`,
    );
  });

  it("fails with the API's reason when it refuses to track the run", async () => {
    const message = 'Mutations need a token.';
    const api = await startFakeApi(() => ({
      status: 401,
      body: { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] },
    }));
    await expect(trackRun(api.url, undefined, INPUT, options().options)).rejects.toThrow(
      `The API at ${api.url} refused the request (UNAUTHENTICATED): ${message}`,
    );
    expect(api.received).toHaveLength(1);
  });
});
