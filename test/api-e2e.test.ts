// End-to-end: the real API server and a training worker in processes of their own, on a fresh data directory (the
// API starts its embedded PostgreSQL server, the worker joins it), driven over HTTP and WebSocket as a client
// would. Training is real (tiny ResNet-18, tiny synthetic data, on wasm).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { makeEmbeddedDataDir } from '@resnet-lab/api/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  startApiProcess,
  startWorkerProcess,
  type ApiProcess,
  type WorkerProcess,
} from './support/api-process.js';
import { PROGRESS, setUp, startRun, waitFor, type ProgressEvent } from './support/api-fixtures.js';

let dataDir: string;
let api: ApiProcess;
let worker: WorkerProcess;

/** Horizontal stripes two pixels high: the synthetic dataset's class 0, drawn at twice the training size. */
function stripesPng(size: number): string {
  const png = new PNG({ width: size, height: size });
  for (let offset = 0; offset < png.data.length; offset += 4) {
    const y = Math.floor(offset / 4 / size);
    const value = Math.floor(y / 2) % 2 === 0 ? 230 : 25;
    png.data[offset] = png.data[offset + 1] = png.data[offset + 2] = value;
    png.data[offset + 3] = 255;
  }
  return PNG.sync.write(png).toString('base64');
}

beforeAll(async () => {
  dataDir = await makeEmbeddedDataDir('resnet-lab-e2e-');
  api = await startApiProcess({ DATA_DIR: dataDir });
  worker = await startWorkerProcess({ DATA_DIR: dataDir, WORKER_HEARTBEAT_SECONDS: '2' });
  await setUp(api);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('the API end to end', () => {
  it('trains a run, streams every epoch in order, promotes the best checkpoint and predicts by alias', async () => {
    const updates: { id: string; status: string }[] = [];
    const listUpdates = collect<{ id: string; status: string }>(
      api.subscriptions(),
      `subscription { runUpdated { id status } }`,
      {},
      (run) => updates.push(run),
    ).catch(() => []);
    const runId = await startRun(api, { epochs: 3 });
    const events = await collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId });

    // Every epoch's metrics arrive once, in order, each after that epoch's 4 batches and before its checkpoint.
    const epochEvents = events.filter((event) => event.__typename === 'EpochCompleted');
    expect(epochEvents.map((event) => event.metric!.epoch)).toEqual([1, 2, 3]);
    const sequence = events
      .filter((event) => event.__typename !== 'RunStatusChanged')
      .map((event) =>
        event.__typename === 'BatchProgress'
          ? `b${event.epoch}.${event.batch}/${event.batches}`
          : event.__typename === 'EpochCompleted'
            ? `e${event.metric!.epoch}`
            : `c${event.checkpoint!.epoch}`,
      );
    expect(sequence).toEqual(
      [1, 2, 3].flatMap((epoch) =>
        [1, 2, 3, 4].map((batch) => `b${epoch}.${batch}/4`).concat(`e${epoch}`, `c${epoch}`),
      ),
    );
    expect(events.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'COMPLETED', errorMessage: null });

    // What was streamed is what was stored.
    const stored = await api.request<{
      run: {
        status: string;
        progress: number;
        backend: string;
        metrics: { epoch: number; trainLoss: number; testAccuracy: number }[];
        batchMetrics: { epoch: number; batch: number; step: number }[];
        checkpoints: {
          id: string;
          epoch: number;
          available: boolean;
          testAccuracy: number;
          location: string;
          sha256: string;
          sizeBytes: number;
        }[];
        bestCheckpoint: { id: string; epoch: number };
        latestCheckpoint: { id: string; epoch: number };
      };
    }>(
      `query($id: ID!) { run(id: $id) { status progress backend
        metrics { epoch trainLoss testAccuracy } batchMetrics { epoch batch step } checkpoints { id epoch available testAccuracy location sha256 sizeBytes }
        bestCheckpoint { id epoch } latestCheckpoint { id epoch } } }`,
      { id: runId },
    );
    const run = stored.data!.run;
    expect(run).toMatchObject({ status: 'COMPLETED', progress: 1, backend: 'wasm' });
    expect(run.metrics).toEqual(
      epochEvents.map((event) => ({
        epoch: event.metric!.epoch,
        trainLoss: event.metric!.trainLoss,
        testAccuracy: event.metric!.testAccuracy,
      })),
    );
    // Every batch streamed was stored: 12 are far fewer than a run keeps.
    expect(run.batchMetrics).toEqual(
      events
        .filter((event) => event.__typename === 'BatchProgress')
        .map((event) => ({ epoch: event.epoch, batch: event.batch, step: (event.epoch! - 1) * 4 + event.batch! })),
    );
    expect(run.batchMetrics).toHaveLength(12);
    // Only the latest and the best checkpoint keep their files.
    expect(run.latestCheckpoint.epoch).toBe(3);
    // Each kept checkpoint's recorded hash and size are those of its files.
    for (const checkpoint of run.checkpoints.filter((entry) => entry.available)) {
      // Locations are keys in the artifact store, DATA_DIR/artifacts by default.
      expect(checkpoint.location).toBe(`runs/${runId}/checkpoints/epoch-${String(checkpoint.epoch).padStart(4, '0')}`);
      const directory = path.join(dataDir, 'artifacts', checkpoint.location);
      const names = await fs.readdir(directory);
      const weights = await fs.readFile(
        path.join(
          directory,
          names.find((name) => name.endsWith('.bin'))!,
        ),
      );
      expect(checkpoint.sha256).toBe(createHash('sha256').update(weights).digest('hex'));
      const sizes = await Promise.all(names.map(async (name) => (await fs.stat(path.join(directory, name))).size));
      expect(checkpoint.sizeBytes).toBe(sizes.reduce((total, size) => total + size, 0));
    }
    const kept = new Set([run.latestCheckpoint.id, run.bestCheckpoint.id]);
    expect(run.checkpoints.map((checkpoint) => [checkpoint.epoch, checkpoint.available])).toEqual(
      run.checkpoints.map((checkpoint) => [checkpoint.epoch, kept.has(checkpoint.id)]),
    );
    expect(Math.max(...run.checkpoints.map((checkpoint) => checkpoint.testAccuracy))).toBe(
      run.checkpoints.find((checkpoint) => checkpoint.id === run.bestCheckpoint.id)!.testAccuracy,
    );

    const promoted = await api.request<{ promoteCheckpoint: { version: number; aliases: string[] } }>(
      `mutation($id: ID!) { promoteCheckpoint(input: { checkpointId: $id, aliases: ["production"] }) { version aliases } }`,
      { id: run.bestCheckpoint.id },
    );
    expect(promoted.data).toEqual({ promoteCheckpoint: { version: 1, aliases: ['production'] } });

    const predicted = await api.request<{
      predict: {
        topK: { classIndex: number; label: string; probability: number }[];
        checkpoint: { id: string };
        modelVersion: { version: number };
        latencyMs: number;
      };
    }>(
      `mutation($image: String!) { predict(input: { modelName: "tiny", alias: "production", imageBase64: $image, topK: 4 }) {
        topK { classIndex label probability } checkpoint { id } modelVersion { version } latencyMs } }`,
      { image: stripesPng(32) },
    );
    expect(predicted.errors).toBeUndefined();
    const prediction = predicted.data!.predict;
    expect(prediction.checkpoint.id).toBe(run.bestCheckpoint.id);
    expect(prediction.modelVersion.version).toBe(1);
    expect(prediction.topK.map((entry) => entry.label).sort()).toEqual([
      'checkerboard',
      'diagonal-stripes',
      'horizontal-stripes',
      'vertical-stripes',
    ]);
    const probabilities = prediction.topK.map((entry) => entry.probability);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    expect(probabilities.reduce((total, probability) => total + probability, 0)).toBeCloseTo(1, 5);

    // The second prediction finds the checkpoint loaded; both are recorded against it.
    const again = await api.request<{ predict: { cached: boolean; inputSha256: string } }>(
      `mutation($image: String!) { predict(input: { modelName: "tiny", imageBase64: $image }) { cached inputSha256 } }`,
      { image: stripesPng(32) },
    );
    expect(again.data!.predict.cached).toBe(true);
    expect(again.data!.predict.inputSha256).toMatch(/^[0-9a-f]{64}$/);
    const recorded = await api.request<{ predictions: { cached: boolean }[] }>(
      `query($id: ID!) { predictions(checkpointId: $id) { cached } }`,
      { id: run.bestCheckpoint.id },
    );
    expect(recorded.data!.predictions).toEqual([{ cached: true }, { cached: false }]);

    // Evaluating the best checkpoint on the run's test split gives the accuracy the run recorded for it.
    const evaluated = await api.request<{
      evaluateCheckpoint: {
        images: number;
        accuracy: number;
        confusionMatrix: number[][];
        perClass: { images: number }[];
      };
    }>(
      `mutation($id: ID!) { evaluateCheckpoint(input: { checkpointId: $id }) {
        images accuracy confusionMatrix perClass { images } } }`,
      { id: run.bestCheckpoint.id },
    );
    const evaluation = evaluated.data!.evaluateCheckpoint;
    expect(evaluation.images).toBe(64);
    expect(evaluation.confusionMatrix.flat().reduce((total, count) => total + count, 0)).toBe(64);
    expect(evaluation.perClass.map((entry) => entry.images)).toEqual([16, 16, 16, 16]);
    expect(evaluation.accuracy).toBe(
      run.checkpoints.find((checkpoint) => checkpoint.id === run.bestCheckpoint.id)!.testAccuracy,
    );

    // The list subscription saw the run go through its statuses.
    await waitFor(
      updates as unknown as ProgressEvent[],
      (update) => (update as unknown as { status: string }).status === 'COMPLETED',
    );
    const statuses = updates.filter((update) => update.id === runId).map((update) => update.status);
    expect(statuses).toContain('RUNNING');
    expect(statuses.at(-1)).toBe('COMPLETED');
    void listUpdates;
  });

  it('cancels a run at a batch boundary, keeping its checkpoint, which a resumed run continues from', async () => {
    const runId = await startRun(api, { epochs: 30 });
    const events: ProgressEvent[] = [];
    const streamed = collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId }, (event) => events.push(event));
    await waitFor(events, (event) => event.__typename === 'CheckpointSaved');
    const cancelled = await api.request<{
      cancelRun: { status: string; latestCheckpoint: { id: string; epoch: number } };
    }>(`mutation($id: ID!) { cancelRun(id: $id) { status latestCheckpoint { id epoch } } }`, { id: runId });
    expect(cancelled.data!.cancelRun.status).toBe('CANCELLED');
    await streamed;
    expect(events.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'CANCELLED' });
    const lastEpoch = cancelled.data!.cancelRun.latestCheckpoint.epoch;
    expect(lastEpoch).toBeGreaterThanOrEqual(1);
    expect(lastEpoch).toBeLessThan(30);

    const again = await api.request(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: runId });
    expect(again.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT' });

    const resumed = await api.request<{ resumeRun: { id: string } }>(
      `mutation($id: ID!, $epochs: Int!) { resumeRun(input: { runId: $id, epochs: $epochs }) { id } }`,
      { id: runId, epochs: lastEpoch + 1 },
    );
    const resumedId = resumed.data!.resumeRun.id;
    const resumedEvents = await collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId: resumedId });
    expect(resumedEvents.at(-1)).toMatchObject({ status: 'COMPLETED' });
    const result = await api.request<{ run: { resumedFrom: { id: string }; metrics: { epoch: number }[] } }>(
      `query($id: ID!) { run(id: $id) { resumedFrom { id } metrics { epoch } } }`,
      { id: resumedId },
    );
    expect(result.data!.run).toEqual({
      resumedFrom: { id: cancelled.data!.cancelRun.latestCheckpoint.id },
      metrics: [{ epoch: lastEpoch + 1 }],
    });
  });

  it('ends a run FAILED with the reason when its training process crashes', async () => {
    const runId = await startRun(api, { epochs: 30 });
    const events: ProgressEvent[] = [];
    const streamed = collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId }, (event) => events.push(event));
    await waitFor(events, (event) => event.__typename === 'BatchProgress');
    const training = worker.trainingPids();
    expect(training).toHaveLength(1);
    for (const pid of training) process.kill(pid, 'SIGKILL');
    await streamed;
    expect(events.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'FAILED' });
    expect(events.at(-1)!.errorMessage).toMatch(
      /^The training worker was killed by SIGKILL before reporting a result\./,
    );
    // The queue goes on: the next run trains.
    const nextId = await startRun(api, { epochs: 1 });
    const next = await collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId: nextId });
    expect(next.at(-1)).toMatchObject({ status: 'COMPLETED' });
  });

  it('keeps training when the API is killed: a restarted API serves the run, which completes', async () => {
    const runId = await startRun(api, { epochs: 6 });
    const events: ProgressEvent[] = [];
    const streamed = collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId }, (event) =>
      events.push(event),
    ).catch(() => events);
    await waitFor(events, (event) => event.__typename === 'CheckpointSaved');
    await api.kill();
    await streamed;
    api = await startApiProcess({ DATA_DIR: dataDir });
    // The run went on in its worker meanwhile; a new subscription replays the finished epochs, then follows it.
    const rest = await collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId });
    expect(rest.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'COMPLETED' });
    const result = await api.request<{ run: { status: string; metrics: { epoch: number }[] } }>(
      `query($id: ID!) { run(id: $id) { status metrics { epoch } } }`,
      { id: runId },
    );
    expect(result.data!.run).toEqual({
      status: 'COMPLETED',
      metrics: [1, 2, 3, 4, 5, 6].map((epoch) => ({ epoch })),
    });
  });

  it('ends the run of a worker killed with SIGKILL FAILED as interrupted and resumable (RUN_RETRIES=0)', async () => {
    const runId = await startRun(api, { epochs: 30 });
    const events: ProgressEvent[] = [];
    const streamed = collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId }, (event) => events.push(event));
    await waitFor(events, (event) => event.__typename === 'CheckpointSaved');
    const training = worker.trainingPids();
    const { pid } = worker.process;
    await worker.kill();
    // Silent for 3 heartbeats (2 s each here), it is declared lost.
    await streamed;
    const result = await api.request<{ run: { errorMessage: string; latestCheckpoint: { epoch: number } } }>(
      `query($id: ID!) { run(id: $id) { errorMessage latestCheckpoint { epoch } } }`,
      { id: runId },
    );
    expect(events.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'FAILED' });
    expect(result.data!.run.errorMessage).toMatch(
      new RegExp(
        `^Interrupted: its worker on \\S+ \\(pid ${pid}\\) stopped heartbeating\\. ` +
          `Resume it from its epoch ${result.data!.run.latestCheckpoint.epoch} checkpoint with resumeRun\\.$`,
      ),
    );
    // Its training process went with it.
    for (const child of training) expect(() => process.kill(child, 0)).toThrow();
    worker = await startWorkerProcess({ DATA_DIR: dataDir, WORKER_HEARTBEAT_SECONDS: '2' });
  });
});
