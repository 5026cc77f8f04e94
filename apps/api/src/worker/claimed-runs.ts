// What a worker does with a job: claims its run if it is still QUEUED, trains it in a child process
// (training/training-worker.ts) and records what the child reports, in order; then settles the run by how training
// ended: completed, cancelled, failed, or stopped by the worker's own shutdown (re-queued or resumable, per
// RUN_RETRIES). Meanwhile the run's log gets what the child prints and the worker's own lines about the run, and the
// child's CPU, memory and GPU use is sampled every SYSTEM_METRICS_SECONDS.
import os from 'node:os';
import type { Task } from 'graphile-worker';
import type { BackendReport } from '@resnet-lab/trainer';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Database } from '../db/database.js';
import { enqueueRun, type TrainRunPayload } from '../queue/run-queue.js';
import { DatasetService } from '../services/dataset-service.js';
import type { RunLogWriter } from '../services/run-log-writer.js';
import { notify, type RunRecorder } from '../services/run-recorder.js';
import { storedTrainConfig } from '../services/stored-train-config.js';
import type { SystemMetricService } from '../services/system-metric-service.js';
import { describeUnexpectedExit, type StartWorker, type WorkerExit } from '../training/worker-process.js';
import type { TrainRequest, WorkerMessage } from '../training/worker-protocol.js';
import { SystemMetricsSampler, sampleEvery, type ProcessStatsReader } from './system-metrics-sampler.js';

/** The run this worker trains, if any, and how it is going. */
interface ActiveRun {
  readonly runId: string;
  readonly send: (request: { type: 'cancel' }) => void;
  reason: 'cancel' | 'shutdown' | 'abandon' | null;
  readonly done: Promise<void>;
}

/** Claims runs from jobs, trains them in a child process and records what they report. */
export class ClaimedRuns {
  private active: ActiveRun | null = null;
  private shuttingDown = false;

  constructor(
    private readonly database: Database,
    private readonly recorder: RunRecorder,
    private readonly artifacts: ArtifactStore,
    private readonly options: {
      readonly workerId: string;
      readonly runRetries: number;
      /** Where image folders' decoded images are cached (ApiConfig.cacheDir). */
      readonly cacheDir: string;
      readonly log: (message: string) => void;
      readonly startWorker: StartWorker;
      /** Where runs' log lines go. */
      readonly logWriter: RunLogWriter;
      /** Where system metric samples go. */
      readonly systemMetrics: SystemMetricService;
      readonly statsReader: ProcessStatsReader;
      /** Seconds between system metric samples (ApiConfig.systemMetricsSeconds); 0 takes none. */
      readonly systemMetricsSeconds: number;
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
    this.options.logWriter.append(
      runId,
      'SYSTEM',
      `Claimed by worker ${this.options.workerId} on ${os.hostname()} (attempt ${claimed.attempts}).`,
    );
    await this.train(claimed.id, {
      type: 'train',
      config: storedTrainConfig(claimed.config),
      outDir: this.artifacts.resolve(claimed.outputDir),
      resumeFrom: claimed.resumedFromCheckpoint ? this.artifacts.resolve(claimed.resumedFromCheckpoint.location) : null,
      dataset: DatasetService.spec(claimed.dataset, this.options.cacheDir),
    });
  };

  private async train(runId: string, request: TrainRequest): Promise<void> {
    const { logWriter, log } = this.options;
    let chain = Promise.resolve();
    let result: WorkerMessage | null = null;
    let sampler: SystemMetricsSampler | null = null;
    const handle = (message: WorkerMessage) => {
      if (message.type === 'event' && message.event.kind === 'start' && trainsOnGpu(message.event.backend)) {
        sampler?.useGpu();
      }
      chain = chain
        .then(async () => {
          if (message.type === 'event') await this.recorder.record(runId, message.event, message.checkpoint);
          else result = message;
        })
        .catch((error: unknown) =>
          this.options.log(`Run ${runId}: could not record a worker message: ${String(error)}`),
        );
    };
    const child = this.options.startWorker(handle, (stream, line) =>
      logWriter.append(runId, stream === 'stdout' ? 'STDOUT' : 'STDERR', line),
    );
    logWriter.append(runId, 'SYSTEM', `Training process ${child.pid} started.`);
    sampler = new SystemMetricsSampler(this.options.statsReader, child.pid);
    const sampling =
      this.options.systemMetricsSeconds > 0
        ? sampleEvery(
            sampler,
            this.options.systemMetricsSeconds * 1000,
            (sample) => this.options.systemMetrics.record(runId, sample),
            (error) => log(`Run ${runId}: could not record a system metric sample: ${String(error)}`),
          )
        : null;
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
      await sampling?.stop();
      await chain;
      logWriter.append(runId, 'SYSTEM', describeExit(child.pid, exit));
      await this.settle(runId, active, result, describeUnexpectedExit(exit));
    } finally {
      await logWriter.end(runId);
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
    if (active.reason === 'abandon') {
      // Declared lost: another process settled the run.
      await this.logLast(runId, 'The worker was declared lost (no heartbeat for too long); it left the run.');
      return;
    }
    const stoppedEarly = result?.type === 'trained' && result.result.status === 'cancelled';
    if (active.reason === 'shutdown' && (stoppedEarly || result === null)) {
      await this.logLast(runId, 'The worker shut down: the run stopped at a batch boundary.');
      await this.recorder.interrupt(runId, 'its worker shut down', this.options.runRetries);
      return;
    }
    const outcome =
      result?.type === 'trained'
        ? { status: stoppedEarly ? ('CANCELLED' as const) : ('COMPLETED' as const), errorMessage: null }
        : { status: 'FAILED' as const, errorMessage: result?.type === 'failed' ? result.message : unexpectedExit };
    const ended = `Run ${outcome.status.toLowerCase()}`;
    await this.logLast(runId, outcome.errorMessage ? `${ended}: ${outcome.errorMessage}` : `${ended}.`);
    await this.recorder.finish(runId, outcome);
  }

  /** Writes the worker's last line about the run, and every line before it, before the run's status changes. */
  private async logLast(runId: string, line: string): Promise<void> {
    this.options.logWriter.append(runId, 'SYSTEM', line);
    await this.options.logWriter.end(runId);
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

/** Whether a run's backend trains on a GPU (TensorFlow's CUDA build reports its device as `GPU: <name>`). */
function trainsOnGpu(backend: BackendReport): boolean {
  return backend.name === 'tensorflow' && backend.device.startsWith('GPU');
}

function describeExit(pid: number, exit: WorkerExit): string {
  return exit.signal
    ? `Training process ${pid} was killed by ${exit.signal}.`
    : `Training process ${pid} exited with code ${String(exit.code)}.`;
}
