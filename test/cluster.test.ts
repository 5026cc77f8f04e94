// A small cluster on one machine, as a team would run it across several: one PostgreSQL server, two API processes
// on different ports, three worker processes sharing one artifact directory. Runs started through API 1 are watched
// through API 2; a worker and then API 1 are killed with SIGKILL mid-run. Whatever happens, every run ends with one
// metric row per epoch and every checkpoint row that claims files has them.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
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

const RUNS = 6;
const EPOCHS = 4;
/** TINY_RUN's 128 training images in batches of 32. */
const BATCHES = 4;

let databaseUrl: string;
let dataDir: string;
let env: Record<string, string>;
let api1: ApiProcess;
let api2: ApiProcess;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  databaseUrl = await createTestDatabase('cluster');
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-cluster-'));
  env = {
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    ARTIFACT_DIR: path.join(dataDir, 'shared-artifacts'),
    WORKER_HEARTBEAT_SECONDS: '2',
    // A lost worker's run is re-queued once from its last checkpoint.
    RUN_RETRIES: '1',
    // Three workers share two cores.
    RESNET_LAB_WASM_THREADS: '1',
    OMP_NUM_THREADS: '1',
  };
  [api1, api2] = await Promise.all([startApiProcess(env), startApiProcess(env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await Promise.all([api1?.stop(), api2?.stop()]);
  await fs.rm(dataDir, { recursive: true, force: true });
}, 120_000);

/** Reads rows straight from the database, as an operator with psql would. */
async function query<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** `b<epoch>.<batch>`, `e<epoch>`, `c<epoch>`, or the status: one token per event, to compare sequences. */
function token(event: ProgressEvent): string {
  switch (event.__typename) {
    case 'BatchProgress':
      return `b${event.epoch}.${event.batch}`;
    case 'EpochCompleted':
      return `e${event.metric!.epoch}`;
    case 'CheckpointSaved':
      return `c${event.checkpoint!.epoch}`;
    case 'RunStatusChanged':
      return event.status!;
  }
}

/** What a run that trains epochs `from` to EPOCHS streams, in order. */
function training(from: number): string[] {
  const tokens: string[] = [];
  for (let epoch = from; epoch <= EPOCHS; epoch++) {
    for (let batch = 1; batch <= BATCHES; batch++) tokens.push(`b${epoch}.${batch}`);
    tokens.push(`e${epoch}`, `c${epoch}`);
  }
  return tokens;
}

describe('a cluster of two APIs and three workers on one PostgreSQL server', () => {
  it('trains runs started on one API, streams them whole through the other, and survives losing a worker and an API', async () => {
    await setUp(api1);
    // Queued before any worker exists, and watched through API 2 before they start, so every event is seen.
    const runIds: string[] = [];
    for (let index = 0; index < RUNS; index++) runIds.push(await startRun(api1, { epochs: EPOCHS, seed: index }));
    const events = new Map(runIds.map((id) => [id, [] as ProgressEvent[]]));
    const streams = runIds.map((runId) =>
      collect<ProgressEvent>(api2.subscriptions(), PROGRESS, { runId }, (event) => events.get(runId)!.push(event)),
    );

    // Never more runs RUNNING than workers, sampled throughout.
    let mostRunning = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await query<{ running: number }>(
          `SELECT count(*)::int AS running FROM "Run" WHERE status = 'RUNNING'`,
        );
        mostRunning = Math.max(mostRunning, row!.running);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    workers = await Promise.all([1, 2, 3].map(() => startWorkerProcess(env)));

    // Kill -9 the worker of a run that has saved a checkpoint and is training its next epoch.
    const victimRun = await new Promise<string>((resolve) => {
      const timer = setInterval(() => {
        for (const [runId, seen] of events) {
          if (
            seen.some((event) => event.__typename === 'CheckpointSaved' && event.checkpoint!.epoch === 1) &&
            seen.some((event) => event.__typename === 'BatchProgress' && event.epoch === 2)
          ) {
            clearInterval(timer);
            resolve(runId);
            return;
          }
        }
      }, 10);
    });
    const [owner] = await query<{ pid: number }>(
      `SELECT w.pid FROM "Run" r JOIN "Worker" w ON w.id = r."workerId" WHERE r.id = $1`,
      [victimRun],
    );
    const victim = workers.find((worker) => worker.process.pid === owner!.pid)!;
    expect(victim).toBeDefined();
    const orphans = victim.trainingPids();
    await victim.kill();
    workers = workers.filter((worker) => worker !== victim);

    // Kill -9 API 1 while runs still train: API 2 goes on serving and streaming.
    await waitFor(events.get(runIds.at(-1)!)!, (event) => event.__typename === 'BatchProgress');
    await api1.kill();
    const served = await api2.request<{ runs: { totalCount: number } }>(`{ runs { totalCount } }`);
    expect(served.data!.runs.totalCount).toBe(RUNS);

    await Promise.all(streams);
    sampling = false;
    await sampler;
    expect(mostRunning).toBeGreaterThanOrEqual(2);
    expect(mostRunning).toBeLessThanOrEqual(3);
    // The killed worker's training process noticed and stopped: no orphan.
    for (const pid of orphans) expect(() => process.kill(pid, 0)).toThrow();

    for (const runId of runIds) {
      const tokens = events.get(runId)!.map(token);
      if (runId !== victimRun) {
        expect(tokens).toEqual(['RUNNING', ...training(1), 'COMPLETED']);
        continue;
      }
      // The lost worker's run went back to the queue and resumed from its last checkpoint on another worker: the
      // epochs it had finished, part of the next one, then that epoch again from its start.
      const requeued = tokens.indexOf('QUEUED');
      const resumedAt = Number(/^b(\d+)\./.exec(tokens[requeued + 2]!)![1]);
      expect(resumedAt).toBeGreaterThanOrEqual(2);
      expect(tokens.slice(requeued)).toEqual(['QUEUED', 'RUNNING', ...training(resumedAt), 'COMPLETED']);
      const before = tokens.slice(0, requeued);
      const finished = training(1).slice(0, (resumedAt - 1) * (BATCHES + 2));
      expect(before.slice(0, finished.length + 1)).toEqual(['RUNNING', ...finished]);
      expect(before.slice(finished.length + 1)).toEqual(
        training(resumedAt).slice(0, before.length - finished.length - 1),
      );
    }
    const [victimRow] = await query<{ attempts: number; status: string }>(
      `SELECT attempts, status::text FROM "Run" WHERE id = $1`,
      [victimRun],
    );
    expect(victimRow).toEqual({ attempts: 2, status: 'COMPLETED' });
    const [lost] = await query<{ status: string }>(`SELECT status::text FROM "Worker" WHERE pid = $1`, [owner!.pid]);
    expect(lost).toEqual({ status: 'LOST' });

    // One metric row per epoch, no duplicates; every checkpoint row that claims files has them, and no epoch
    // directory is left without a row that claims it.
    const metrics = await query<{ runId: string; epochs: number[] }>(
      `SELECT "runId", array_agg(epoch ORDER BY epoch) AS epochs FROM "EpochMetric" GROUP BY "runId"`,
    );
    expect(new Map(metrics.map((row) => [row.runId, row.epochs]))).toEqual(
      new Map(runIds.map((id) => [id, [1, 2, 3, 4]])),
    );
    const checkpoints = await query<{ runId: string; location: string; prunedAt: Date | null }>(
      `SELECT "runId", location, "prunedAt" FROM "Checkpoint"`,
    );
    expect(checkpoints).toHaveLength(RUNS * EPOCHS);
    for (const runId of runIds) {
      const claimed = checkpoints
        .filter((checkpoint) => checkpoint.runId === runId && checkpoint.prunedAt === null)
        .map((checkpoint) => checkpoint.location)
        .sort();
      const onDisk = (await fs.readdir(path.join(env.ARTIFACT_DIR!, 'runs', runId, 'checkpoints')))
        .filter((name) => name.startsWith('epoch-'))
        .map((name) => `runs/${runId}/checkpoints/${name}`)
        .sort();
      expect(onDisk).toEqual(claimed);
      expect(claimed).toContain(`runs/${runId}/checkpoints/epoch-0004`);
    }
  });
});
