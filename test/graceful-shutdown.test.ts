// SIGTERM, as a service manager or Ctrl-C sends it, to the API and to a worker while a run trains: each exits 0
// promptly, leaves no process behind, and the run is either still training (the API's case) or resumable.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@resnet-lab/api/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS, setUp, startRun, waitFor, type ProgressEvent } from './support/api-fixtures.js';
import {
  collect,
  startApiProcess,
  startWorkerProcess,
  type ApiProcess,
  type WorkerProcess,
} from './support/api-process.js';

/** The API's promise: stopped within 10 s. */
const API_STOP_LIMIT_MS = 10_000;

let env: Record<string, string>;
let dataDir: string;
let api: ApiProcess;
let worker: WorkerProcess | null = null;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-shutdown-'));
  env = { DATABASE_URL: await createTestDatabase('shutdown'), DATA_DIR: dataDir, WORKER_HEARTBEAT_SECONDS: '2' };
  api = await startApiProcess(env);
  await setUp(api);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
}, 60_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('graceful shutdown', () => {
  it('stops a worker at a batch boundary on SIGTERM: exit 0, no training process left, the run resumable', async () => {
    worker = await startWorkerProcess(env);
    const runId = await startRun(api, { epochs: 30 });
    const events: ProgressEvent[] = [];
    const streamed = collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId }, (event) => events.push(event));
    await waitFor(events, (event) => event.__typename === 'CheckpointSaved');
    const training = worker.trainingPids();
    expect(training).toHaveLength(1);

    expect(await worker.stop()).toBe(0);
    worker = null;
    for (const pid of training) expect(alive(pid)).toBe(false);
    await streamed;
    const last = events.at(-1)!;
    expect(last).toMatchObject({ __typename: 'RunStatusChanged', status: 'FAILED' });
    const stopped = await api.request<{
      run: { latestCheckpoint: { id: string; epoch: number }; worker: { status: string } };
    }>(`query($id: ID!) { run(id: $id) { latestCheckpoint { id epoch } worker { status } } }`, { id: runId });
    const { latestCheckpoint } = stopped.data!.run;
    // RUN_RETRIES is 0 by default: the run fails as interrupted, and says how to continue it.
    expect(last.errorMessage).toBe(
      `Interrupted: its worker shut down. Resume it from its epoch ${latestCheckpoint.epoch} checkpoint with resumeRun.`,
    );
    expect(stopped.data!.run.worker).toEqual({ status: 'STOPPED' });

    // And it can be: a new worker continues it from that checkpoint.
    worker = await startWorkerProcess(env);
    const resumed = await api.request<{ resumeRun: { id: string } }>(
      `mutation($id: ID!, $epochs: Int!) { resumeRun(input: { runId: $id, epochs: $epochs }) { id } }`,
      { id: runId, epochs: latestCheckpoint.epoch + 1 },
    );
    const resumedEvents = await collect<ProgressEvent>(api.subscriptions(), PROGRESS, {
      runId: resumed.data!.resumeRun.id,
    });
    expect(resumedEvents.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'COMPLETED' });
  });

  it('stops the API on SIGTERM within 10 s with exit code 0, closing subscriptions, while training goes on', async () => {
    worker ??= await startWorkerProcess(env);
    const runId = await startRun(api, { epochs: 8 });
    const events: ProgressEvent[] = [];
    let ended = false;
    const streamed = collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId }, (event) =>
      events.push(event),
    ).then(
      () => (ended = true),
      () => (ended = true),
    );
    await waitFor(events, (event) => event.__typename === 'CheckpointSaved');

    const started = Date.now();
    expect(await api.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(API_STOP_LIMIT_MS);
    await streamed;
    expect(ended).toBe(true);
    expect(api.output()).toContain('Stopped.');

    // The run never depended on the API: a new one finds it completed, every epoch recorded.
    api = await startApiProcess(env);
    const rest = await collect<ProgressEvent>(api.subscriptions(), PROGRESS, { runId });
    expect(rest.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'COMPLETED' });
    expect(rest.filter((event) => event.__typename === 'EpochCompleted').map((event) => event.metric!.epoch)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
  });
});
