// A training worker (`resnet-lab-worker`): needs only the database and the artifact location. It registers, takes
// one run at a time from the queue, trains it in a child process (training/training-worker.ts, so that a crash of
// the trainer takes down only that run) and records every event; meanwhile it heartbeats, acts on cancel requests
// sent through NOTIFY, and settles the runs of other workers that went silent. Stopping (SIGTERM/SIGINT) stops the
// run at the next batch boundary and leaves it re-queued (RUN_RETRIES) or FAILED and resumable. Each run's log (what
// its training process prints) and system metrics (SYSTEM_METRICS_SECONDS) are stored as it trains.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { run as runQueue, type Runner } from 'graphile-worker';
import pg from 'pg';
import { useBackend } from '@resnet-lab/trainer';
import { DirectoryArtifactStore } from '../artifacts/directory-artifact-store.js';
import type { ApiConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { RUN_CONTROL_CHANNEL } from '../events/run-notification.js';
import { quietLogger, RunQueue, TRAIN_RUN_TASK } from '../queue/run-queue.js';
import { sweepArtifacts } from '../services/artifact-sweep.js';
import { RunLogWriter } from '../services/run-log-writer.js';
import { RunRecorder } from '../services/run-recorder.js';
import { SystemMetricService } from '../services/system-metric-service.js';
import { WorkerRegistry } from '../services/worker-registry.js';
import { threadsPerRun, workerStarter, type StartWorker } from '../training/worker-process.js';
import { ClaimedRuns } from './claimed-runs.js';
import { createProcessStatsReader } from './process-stats-reader.js';

export interface RunWorkerOptions {
  readonly log?: (message: string) => void;
  /** How many workers share this machine's cores (each run's threads get an equal share). Default 1. */
  readonly workersOnMachine?: number;
  /** Replaces the training child process, for tests. */
  readonly startWorker?: StartWorker;
}

export interface RunningWorker {
  /** The Worker row's id. */
  readonly id: string;
  /** Stops at the next batch boundary, settles the run, deregisters. Idempotent. */
  stop(): Promise<void>;
  /** Settles when the worker has stopped, however (stop(), or a fatal error). */
  readonly stopped: Promise<void>;
}

export async function startRunWorker(config: ApiConfig, options: RunWorkerOptions = {}): Promise<RunningWorker> {
  const log = options.log ?? ((message: string) => console.error(message));
  const database = await openDatabase(config, { owner: 'a worker', embedded: 'join', poolSize: 4 });
  const cleanups: (() => Promise<void>)[] = [() => database.close()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(String(error)));
  };
  try {
    const queue = await RunQueue.open(database.url);
    cleanups.push(() => queue.close());
    const artifacts = new DirectoryArtifactStore(config.artifactDir);
    const recorder = new RunRecorder(database.prisma, artifacts);
    const logWriter = new RunLogWriter(database.prisma, log);
    cleanups.push(() => logWriter.close());
    const registry = new WorkerRegistry(database.prisma, queue, recorder, {
      heartbeatSeconds: config.heartbeatSeconds,
      runRetries: config.runRetries,
      log,
    });
    const backend = await useBackend('auto');
    const queueWorkerId = `resnet-lab-${randomUUID()}`;
    const row = await registry.register({ backend: backend.name, device: backend.device, queueWorkerId });
    const trainer = new ClaimedRuns(database, recorder, artifacts, {
      workerId: row.id,
      runRetries: config.runRetries,
      cacheDir: config.cacheDir,
      log,
      startWorker:
        options.startWorker ??
        workerStarter(threadsPerRun(options.workersOnMachine ?? 1, os.availableParallelism(), process.env)),
      logWriter,
      systemMetrics: new SystemMetricService(database.prisma),
      statsReader: createProcessStatsReader(),
      systemMetricsSeconds: config.systemMetricsSeconds,
    });
    await sweepArtifacts(database.prisma, artifacts, log);

    // Cancel requests: NOTIFY with the run id, on a connection of its own.
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (message) => {
      if (message.channel === RUN_CONTROL_CHANNEL && message.payload) trainer.cancel(message.payload);
    });
    listener.on('error', (error) => log(`Worker ${row.id}: the control connection failed: ${error.message}`));
    await listener.query(`LISTEN ${RUN_CONTROL_CHANNEL}`);
    cleanups.push(() => listener.end());

    const runner: Runner = await runQueue({
      connectionString: database.url,
      concurrency: 1,
      noHandleSignals: true,
      pollInterval: 2000,
      logger: quietLogger,
      ...({ workerId: queueWorkerId } as object),
      taskList: { [TRAIN_RUN_TASK]: trainer.task },
    });

    let stopping: Promise<void> | null = null;
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
    const stop = () =>
      (stopping ??= (async () => {
        clearInterval(beat);
        // The run in progress stops at its next batch boundary and is settled; then the queue lets go.
        trainer.shutDown();
        await trainer.idle();
        await runner.stop().catch((error: unknown) => log(`Worker ${row.id}: stopping the queue: ${String(error)}`));
        await registry.stopped(row.id);
        await cleanUp();
        resolveStopped();
      })());
    const beat = setInterval(() => {
      void (async () => {
        if (!(await registry.heartbeat(row.id))) {
          log(`Worker ${row.id} was declared lost (no heartbeat for too long); it stops.`);
          trainer.abandon();
          return void stop();
        }
        await registry.settleLost();
        await trainer.checkCancelRequests();
      })().catch((error: unknown) => log(`Worker ${row.id}: heartbeat failed: ${String(error)}`));
    }, config.heartbeatSeconds * 1000);
    log(`Worker ${row.id} ready on ${row.host} (pid ${row.pid}): ${backend.name} (${backend.device}).`);
    return { id: row.id, stop, stopped };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
