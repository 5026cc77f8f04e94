// Stores what a training run reports and tells every API process about it. Each event is one transaction whose
// NOTIFY is delivered on commit, so listeners never see an event that was not stored. An epoch's metric row,
// checkpoint row, run update and the pruning marks of superseded checkpoints commit together; recording is
// idempotent per (run, epoch), so a retried or duplicated event changes nothing. Files are deleted only after the
// commit: a crash in between leaves files of rows already marked pruned, which the artifact sweep removes. Batches
// that are kept (stored-batch.ts) wait in memory and are written with the next progress write, epoch, flush or end,
// so that storing them adds no statement per batch; a replayed batch is skipped by its (run, step) key.
import type { TrainingEvent } from '@resnet-lab/trainer';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { FINAL_STATUSES } from '../events/run-events.js';
import { RUN_EVENTS_CHANNEL, encodeRunNotification, type RunNotification } from '../events/run-notification.js';
import type { Prisma, PrismaClient, Run } from '../generated/prisma/client.js';
import { dequeueRun, enqueueRun } from '../queue/run-queue.js';
import type { SavedCheckpoint } from '../training/worker-protocol.js';
import { isStoredBatch, stepOf } from './stored-batch.js';

/** Batch progress is written to the run row (and `runUpdated` fires) at most this often; subscribers get every batch. */
const PROGRESS_WRITE_INTERVAL_MS = 1000;

/** What a client may do with the Prisma client or one of its transactions. */
type Database = PrismaClient | Prisma.TransactionClient;

export interface RunOutcome {
  readonly status: Run['status'];
  readonly errorMessage: string | null;
}

/** What the recorder keeps per run between events. */
interface RunProgressState {
  /** Total epochs, from the start event or the run row. */
  readonly epochs: number;
  /** When progress was last written to the run row, ms since the epoch. */
  lastWrite: number;
  /** Kept batches not written yet. */
  readonly pendingBatches: Prisma.BatchMetricCreateManyInput[];
}

export class RunRecorder {
  private readonly progress = new Map<string, RunProgressState>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly artifacts: ArtifactStore,
  ) {}

  async record(runId: string, event: TrainingEvent, saved: SavedCheckpoint | null): Promise<void> {
    switch (event.kind) {
      case 'start':
        return this.recordStart(runId, event);
      case 'batch':
        return this.recordBatch(runId, event);
      case 'epoch':
        return this.recordEpoch(runId, event, saved);
    }
  }

  private async recordStart(runId: string, event: Extract<TrainingEvent, { kind: 'start' }>): Promise<void> {
    this.progress.set(runId, { epochs: event.epochs, lastWrite: 0, pendingBatches: [] });
    await this.prisma.$transaction(async (transaction) => {
      await transaction.run.update({
        where: { id: runId },
        data: {
          backend: event.backend.name,
          device: event.backend.device,
          batchesPerEpoch: event.batchesPerEpoch,
          currentEpoch: event.firstEpoch - 1,
          currentBatch: 0,
          progress: (event.firstEpoch - 1) / event.epochs,
        },
      });
      await notify(transaction, { kind: 'updated', runId });
    });
  }

  private async recordBatch(runId: string, event: Extract<TrainingEvent, { kind: 'batch' }>): Promise<void> {
    const state = await this.stateOf(runId);
    const done = stepOf(event.epoch, event.batch, event.batches);
    const progress = done / (event.batches * state.epochs);
    await notify(this.prisma, {
      kind: 'batch',
      runId,
      epoch: event.epoch,
      batch: event.batch,
      batches: event.batches,
      loss: event.loss,
      accuracy: event.accuracy,
      learningRate: event.learningRate,
      imagesPerSecond: event.imagesPerSecond,
      progress,
    });
    if (isStoredBatch(event.epoch, event.batch, event.batches, state.epochs)) {
      state.pendingBatches.push({
        runId,
        step: done,
        epoch: event.epoch,
        batch: event.batch,
        loss: event.loss,
        accuracy: event.accuracy,
        learningRate: event.learningRate,
      });
    }
    const now = Date.now();
    if (event.batch !== event.batches && now - state.lastWrite < PROGRESS_WRITE_INTERVAL_MS) return;
    state.lastWrite = now;
    await this.withPendingBatches(runId, async (transaction) => {
      await transaction.run.update({
        where: { id: runId },
        data: {
          currentEpoch: event.epoch,
          currentBatch: event.batch,
          progress,
          lastBatchLoss: event.loss,
          imagesPerSecond: event.imagesPerSecond,
        },
      });
      await notify(transaction, { kind: 'updated', runId });
    });
  }

  /**
   * The epoch's metric, its checkpoint, the run's progress and best accuracy, and which older checkpoints lose their
   * files, in one transaction; then the files of those, after the commit.
   */
  private async recordEpoch(
    runId: string,
    event: Extract<TrainingEvent, { kind: 'epoch' }>,
    saved: SavedCheckpoint | null,
  ): Promise<void> {
    const pruned = await this.withPendingBatches(runId, async (transaction) => {
      const inserted = await transaction.epochMetric.createManyAndReturn({
        data: [
          {
            runId,
            epoch: event.epoch,
            trainLoss: event.trainLoss,
            trainAccuracy: event.trainAccuracy,
            testLoss: event.testLoss,
            testAccuracy: event.testAccuracy,
            learningRate: event.learningRate,
            durationSeconds: event.durationSeconds,
            imagesPerSecond: event.imagesPerSecond,
          },
        ],
        skipDuplicates: true,
      });
      const metric = inserted[0];
      // Already recorded: a retried or duplicated event.
      if (!metric) return [];
      const current = await transaction.run.findUniqueOrThrow({ where: { id: runId } });
      const best =
        event.testAccuracy === null
          ? current.bestTestAccuracy
          : Math.max(current.bestTestAccuracy ?? -Infinity, event.testAccuracy);
      await transaction.run.update({
        where: { id: runId },
        data: { currentEpoch: event.epoch, progress: event.epoch / event.epochs, bestTestAccuracy: best },
      });
      await notify(transaction, { kind: 'epoch', runId, metricId: metric.id });
      let superseded: { id: string; location: string }[] = [];
      if (saved) {
        const checkpoint = await transaction.checkpoint.create({
          data: {
            runId,
            epoch: saved.epoch,
            testAccuracy: saved.testAccuracy,
            testLoss: saved.testLoss,
            isBest: saved.isBest,
            sizeBytes: BigInt(saved.sizeBytes),
            sha256: saved.sha256,
            location: this.artifacts.keyOf(saved.location),
          },
        });
        await notify(transaction, { kind: 'checkpoint', runId, checkpointId: checkpoint.id });
        // A CLI-tracked run's checkpoints are files on the CLI's machine, named by the client: not the API's to delete.
        if (current.source !== 'CLI') superseded = await markSuperseded(transaction, runId);
      }
      await notify(transaction, { kind: 'updated', runId });
      return superseded;
    });
    for (const checkpoint of pruned) await this.artifacts.remove(checkpoint.location);
  }

  /**
   * Ends a run with a final status, unless it already has one (a cancelled run that also reported completion keeps
   * the first). Returns the run as stored.
   */
  async finish(runId: string, outcome: RunOutcome): Promise<Run> {
    const run = await this.withPendingBatches(runId, async (transaction) => {
      const current = await transaction.run.findUniqueOrThrow({ where: { id: runId } });
      if (FINAL_STATUSES.has(current.status)) return current;
      const run = await transaction.run.update({
        where: { id: runId },
        data: {
          status: outcome.status,
          errorMessage: outcome.errorMessage,
          finishedAt: new Date(),
          ...(outcome.status === 'COMPLETED' ? { progress: 1 } : {}),
        },
      });
      await notify(transaction, { kind: 'status', runId });
      return run;
    });
    this.progress.delete(runId);
    return run;
  }

  /**
   * Settles a run whose training stopped without finishing, because its worker shut down or was lost (`why` says
   * which): CANCELLED when a cancel was asked for; else back in the queue, to resume from its latest checkpoint with
   * files, while it has retries left (a run is claimed at most `runRetries` + 1 times); else FAILED as interrupted,
   * saying how to resume it. One transaction, with its queue job. Returns the status the run is left in.
   */
  async interrupt(runId: string, why: string, runRetries: number): Promise<Run['status']> {
    const status = await this.withPendingBatches(runId, async (transaction) => {
      const run = await transaction.run.findUniqueOrThrow({ where: { id: runId } });
      if (FINAL_STATUSES.has(run.status)) return run.status;
      const latest = await transaction.checkpoint.findFirst({
        where: { runId, prunedAt: null },
        orderBy: { epoch: 'desc' },
      });
      const data: Prisma.RunUpdateInput = run.cancelRequestedAt
        ? { status: 'CANCELLED', errorMessage: null, finishedAt: new Date() }
        : run.attempts <= runRetries
          ? {
              status: 'QUEUED',
              errorMessage: `Re-queued (attempt ${run.attempts + 1} of ${runRetries + 1}): ${why}.`,
              resumedFromCheckpoint: latest ? { connect: { id: latest.id } } : { disconnect: true },
              currentEpoch: latest?.epoch ?? 0,
              currentBatch: 0,
            }
          : {
              status: 'FAILED',
              errorMessage: `Interrupted: ${why}. ${resumeHint(latest?.epoch ?? null)}`,
              finishedAt: new Date(),
            };
      const { status } = await transaction.run.update({ where: { id: runId }, data });
      if (status === 'QUEUED') await enqueueRun(transaction, runId);
      else await dequeueRun(transaction, runId);
      await notify(transaction, { kind: 'status', runId });
      return status;
    });
    this.progress.delete(runId);
    return status;
  }

  /** Writes the run's kept batches that wait in memory, e.g. at the end of a request that reported them. */
  async flushBatches(runId: string): Promise<void> {
    if (!this.progress.get(runId)?.pendingBatches.length) return;
    await this.withPendingBatches(runId, async () => {});
  }

  /** The run's state in this process; a process that missed its start event reads its epochs from the run row. */
  private async stateOf(runId: string): Promise<RunProgressState> {
    let state = this.progress.get(runId);
    if (!state) {
      const run = await this.prisma.run.findUnique({ where: { id: runId }, select: { epochs: true } });
      // Another event of the run may have set it while this one read.
      state = this.progress.get(runId) ?? { epochs: run?.epochs ?? 1, lastWrite: 0, pendingBatches: [] };
      this.progress.set(runId, state);
    }
    return state;
  }

  /**
   * Runs `write` in a transaction that also writes the run's kept batches waiting in memory; they leave memory once
   * it commits, and stay for the next write if it fails.
   */
  private async withPendingBatches<T>(
    runId: string,
    write: (transaction: Prisma.TransactionClient) => Promise<T>,
  ): Promise<T> {
    const pending = this.progress.get(runId)?.pendingBatches ?? [];
    const rows = pending.slice();
    const result = await this.prisma.$transaction(async (transaction) => {
      if (rows.length > 0) await transaction.batchMetric.createMany({ data: rows, skipDuplicates: true });
      return write(transaction);
    });
    pending.splice(0, rows.length);
    return result;
  }
}

/** What a person can do with an interrupted run. */
export function resumeHint(lastEpoch: number | null): string {
  return lastEpoch === null
    ? 'It had no checkpoint yet; start it again.'
    : `Resume it from its epoch ${lastEpoch} checkpoint with resumeRun.`;
}

/**
 * Marks the run's checkpoints that are neither its latest nor its best as pruned, and returns them: a ResNet-18
 * checkpoint with momentum is about 90 MB, and a 200-epoch run would keep 18 GB. The rows stay; promoted versions
 * keep their own copy.
 */
async function markSuperseded(transaction: Prisma.TransactionClient, runId: string) {
  const kept = await transaction.checkpoint.findMany({ where: { runId, prunedAt: null }, orderBy: { epoch: 'asc' } });
  if (kept.length === 0) return [];
  const latest = kept.at(-1)!;
  const best = kept.reduce((a, b) => ((b.testAccuracy ?? -1) > (a.testAccuracy ?? -1) ? b : a));
  const superseded = kept.filter((checkpoint) => checkpoint.id !== latest.id && checkpoint.id !== best.id);
  if (superseded.length > 0) {
    await transaction.checkpoint.updateMany({
      where: { id: { in: superseded.map((checkpoint) => checkpoint.id) } },
      data: { prunedAt: new Date() },
    });
  }
  return superseded;
}

/** Sends a run notification; inside a transaction it is delivered when (and if) the transaction commits. */
export async function notify(database: Database, notification: RunNotification): Promise<void> {
  await database.$executeRaw`SELECT pg_notify(${RUN_EVENTS_CHANNEL}, ${encodeRunNotification(notification)})`;
}
