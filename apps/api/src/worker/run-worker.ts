// A training worker (`resnet-lab-worker`): needs only the database and the artifact location. It registers, takes
// one run at a time from the queue, trains it in a child process (training/training-worker.ts, so that a crash of
// the trainer takes down only that run) and records every event; meanwhile it heartbeats, acts on cancel requests
// sent through NOTIFY, and settles the runs of other workers that went silent. Stopping (SIGTERM/SIGINT) stops the
// run at the next batch boundary and leaves it re-queued (RUN_RETRIES) or FAILED and resumable.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { run as runQueue, type Runner, type Task } from 'graphile-worker';
import pg from 'pg';
import { useBackend, type TrainConfig } from '@resnet-lab/trainer';
import { DirectoryArtifactStore } from '../artifacts/directory-artifact-store.js';
import type { ApiConfig } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { RUN_CONTROL_CHANNEL } from '../events/run-notification.js';
import { enqueueRun, quietLogger, RunQueue, TRAIN_RUN_TASK, type TrainRunPayload } from '../queue/run-queue.js';
import { sweepArtifacts } from '../services/artifact-sweep.js';
import { DatasetService } from '../services/dataset-service.js';
import { RunRecorder, notify } from '../services/run-recorder.js';
import { WorkerRegistry, resumeHint } from '../services/worker-registry.js';
import { threadsPerRun, workerStarter, describeUnexpectedExit, type StartWorker } from '../training/worker-process.js';
import type { TrainRequest, WorkerMessage } from '../training/worker-protocol.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';

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
      log,
      startWorker:
        options.startWorker ??
        workerStarter(threadsPerRun(options.workersOnMachine ?? 1, os.availableParallelism(), process.env)),
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

/** The run this worker trains, if any, and how it is going. */
interface ActiveRun {
  readonly runId: string;
  readonly send: (request: { type: 'cancel' }) => void;
  reason: 'cancel' | 'shutdown' | 'abandon' | null;
  readonly done: Promise<void>;
}

/** Claims runs from jobs, trains them in a child process and records what they report. */
class ClaimedRuns {
  private active: ActiveRun | null = null;
  private shuttingDown = false;

  constructor(
    private readonly database: Database,
    private readonly recorder: RunRecorder,
    private readonly artifacts: ArtifactStore,
    private readonly options: {
      readonly workerId: string;
      readonly runRetries: number;
      readonly log: (message: string) => void;
      readonly startWorker: StartWorker;
    },
  ) {}

  readonly task: Task = async (payload) => {
    const { runId } = payload as TrainRunPayload;
    // Taken just as this worker stops: a new job (this one is locked) hands the run to another worker.
    if (this.shuttingDown) return this.database.prisma.$transaction((transaction) => enqueueRun(transaction, runId));
    const prisma = this.database.prisma;
    // Only a QUEUED run is claimed: a cancelled run's job, or one another worker took, is done with.
    const claimed = await prisma.$transaction(async (transaction) => {
      const { count } = await transaction.run.updateMany({
        where: { id: runId, status: 'QUEUED' },
        data: {
          status: 'RUNNING',
          workerId: this.options.workerId,
          attempts: { increment: 1 },
          startedAt: new Date(),
          errorMessage: null,
        },
      });
      if (count === 0) return null;
      await notify(transaction, { kind: 'status', runId });
      return transaction.run.findUniqueOrThrow({
        where: { id: runId },
        include: { dataset: true, resumedFromCheckpoint: true },
      });
    });
    if (!claimed) return;
    await this.train(claimed.id, {
      type: 'train',
      config: claimed.config as unknown as TrainConfig,
      outDir: this.artifacts.resolve(claimed.outputDir),
      resumeFrom: claimed.resumedFromCheckpoint ? this.artifacts.resolve(claimed.resumedFromCheckpoint.location) : null,
      dataset: DatasetService.spec(claimed.dataset),
    });
  };

  private async train(runId: string, request: TrainRequest): Promise<void> {
    let chain = Promise.resolve();
    let result: WorkerMessage | null = null;
    const handle = (message: WorkerMessage) => {
      chain = chain
        .then(async () => {
          if (message.type === 'event') await this.recorder.record(runId, message.event, message.checkpoint);
          else result = message;
        })
        .catch((error: unknown) =>
          this.options.log(`Run ${runId}: could not record a worker message: ${String(error)}`),
        );
    };
    const child = this.options.startWorker(handle);
    let resolveDone!: () => void;
    const active: ActiveRun = {
      runId,
      send: (message) => child.send(message),
      reason: null,
      done: new Promise((resolve) => (resolveDone = resolve)),
    };
    this.active = active;
    try {
      child.send(request);
      const exit = await child.exited;
      await chain;
      await this.settle(runId, active, result, describeUnexpectedExit(exit));
    } finally {
      this.active = null;
      resolveDone();
    }
  }

  private async settle(
    runId: string,
    active: ActiveRun,
    result: WorkerMessage | null,
    unexpectedExit: string,
  ): Promise<void> {
    if (active.reason === 'abandon') return; // declared lost: another process settled the run
    const stoppedEarly = result?.type === 'trained' && result.result.status === 'cancelled';
    if (active.reason === 'shutdown' && (stoppedEarly || result === null)) {
      const run = await this.database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
      if (run.attempts <= this.options.runRetries) {
        await this.recorder.requeue(runId, 'Re-queued: its worker shut down; it continues from its last checkpoint.');
      } else {
        const last = await this.database.prisma.checkpoint.findFirst({
          where: { runId, prunedAt: null },
          orderBy: { epoch: 'desc' },
        });
        await this.recorder.finish(runId, {
          status: 'FAILED',
          errorMessage: `Interrupted: its worker shut down. ${resumeHint(last?.epoch ?? null)}`,
        });
      }
      return;
    }
    if (result?.type === 'trained') {
      await this.recorder.finish(runId, { status: stoppedEarly ? 'CANCELLED' : 'COMPLETED', errorMessage: null });
    } else if (result?.type === 'failed') {
      await this.recorder.finish(runId, { status: 'FAILED', errorMessage: result.message });
    } else {
      await this.recorder.finish(runId, { status: 'FAILED', errorMessage: unexpectedExit });
    }
  }

  cancel(runId: string): void {
    if (this.active?.runId !== runId || this.active.reason) return;
    this.active.reason = 'cancel';
    this.active.send({ type: 'cancel' });
  }

  /** Catches cancel requests whose NOTIFY this worker missed (its connection was down). */
  async checkCancelRequests(): Promise<void> {
    const active = this.active;
    if (!active || active.reason) return;
    const run = await this.database.prisma.run.findUnique({ where: { id: active.runId } });
    if (run?.cancelRequestedAt) this.cancel(active.runId);
  }

  shutDown(): void {
    this.shuttingDown = true;
    if (this.active && !this.active.reason) {
      this.active.reason = 'shutdown';
      this.active.send({ type: 'cancel' });
    }
  }

  /** Stops the run without settling it: it is no longer ours. */
  abandon(): void {
    if (this.active) {
      this.active.reason = 'abandon';
      this.active.send({ type: 'cancel' });
    }
  }

  idle(): Promise<void> {
    return this.active?.done ?? Promise.resolve();
  }
}
