// A training worker's side of a run, without the training: the rows and NOTIFYs that RunRecorder
// (src/services/run-recorder.ts) writes for each batch, epoch and status change, from a plain pg client, so that
// every API process's RunEventListener fans them out exactly as it would for a real run. Each method returns when
// its NOTIFY was sent (batch) or its transaction was committed, with the moment the notification left.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { RUN_EVENTS_CHANNEL, encodeRunNotification, type RunNotification } from '../src/events/run-notification.js';

/** What a run's progress row holds after a batch, written once per epoch here (the recorder: at most once a second). */
const IMAGES_PER_SECOND = 420;

export class SimulatedWorker {
  constructor(
    private readonly client: pg.Client,
    private readonly runId: string,
    private readonly epochs: number,
    private readonly batchesPerEpoch: number,
  ) {}

  /** A batch: one NOTIFY outside any transaction, as the recorder sends it; the progress row at the epoch's end. */
  async batch(epoch: number, batch: number): Promise<number> {
    const done = (epoch - 1) * this.batchesPerEpoch + batch;
    const loss = 2.3 * Math.exp(-done / 200);
    const sentAt = performance.now();
    await this.notify(this.client, {
      kind: 'batch',
      runId: this.runId,
      epoch,
      batch,
      batches: this.batchesPerEpoch,
      loss,
      accuracy: 1 - loss / 2.5,
      learningRate: 0.1,
      imagesPerSecond: IMAGES_PER_SECOND,
      progress: done / (this.batchesPerEpoch * this.epochs),
    });
    if (batch === this.batchesPerEpoch) {
      await this.transaction(async () => {
        await this.client.query(
          `UPDATE "Run" SET "currentEpoch" = $2, "currentBatch" = $3, "progress" = $4, "lastBatchLoss" = $5,
             "imagesPerSecond" = $6 WHERE "id" = $1`,
          [this.runId, epoch, batch, done / (this.batchesPerEpoch * this.epochs), loss, IMAGES_PER_SECOND],
        );
        await this.notify(this.client, { kind: 'updated', runId: this.runId });
      });
    }
    return sentAt;
  }

  /**
   * An epoch's end: its metric row, the run's progress and best accuracy, its checkpoint and the pruning of the
   * superseded one, with the `epoch`, `checkpoint` and `updated` notifications, in one transaction. Returns when
   * COMMIT (which delivers the notifications) was sent.
   */
  async endEpoch(epoch: number): Promise<number> {
    const testAccuracy = Math.min(0.95, 0.3 + 0.06 * epoch);
    return this.transaction(async () => {
      const metric = await this.client.query<{ id: string }>(
        `INSERT INTO "EpochMetric" ("id", "runId", "epoch", "trainLoss", "trainAccuracy", "testLoss", "testAccuracy",
           "learningRate", "durationSeconds", "imagesPerSecond")
         VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, 0.1, 60, $7) RETURNING "id"`,
        [this.runId, epoch, 2 / epoch, testAccuracy + 0.02, 2.1 / epoch, testAccuracy, IMAGES_PER_SECOND],
      );
      await this.client.query(
        `UPDATE "Run" SET "currentEpoch" = $2, "progress" = $3,
           "bestTestAccuracy" = greatest(coalesce("bestTestAccuracy", 0), $4) WHERE "id" = $1`,
        [this.runId, epoch, epoch / this.epochs, testAccuracy],
      );
      await this.notify(this.client, { kind: 'epoch', runId: this.runId, metricId: metric.rows[0]!.id });
      const checkpoint = await this.client.query<{ id: string }>(
        `INSERT INTO "Checkpoint" ("id", "runId", "epoch", "testAccuracy", "testLoss", "isBest", "sizeBytes", "sha256",
           "location")
         VALUES (gen_random_uuid()::text, $1, $2, $3, $4, true, 89400000, $5, $6)
         RETURNING "id"`,
        [
          this.runId,
          epoch,
          testAccuracy,
          2.1 / epoch,
          createHash('sha256').update(`${this.runId}/${epoch}`).digest('hex'),
          `runs/${this.runId}/checkpoints/epoch-${String(epoch).padStart(4, '0')}`,
        ],
      );
      await this.notify(this.client, { kind: 'checkpoint', runId: this.runId, checkpointId: checkpoint.rows[0]!.id });
      // Accuracy only rises here, so the newest checkpoint is both latest and best: every older one loses its files.
      await this.client.query(
        `UPDATE "Checkpoint" SET "prunedAt" = timezone('utc', now()), "isBest" = false
         WHERE "runId" = $1 AND "epoch" < $2 AND "prunedAt" IS NULL`,
        [this.runId, epoch],
      );
      await this.notify(this.client, { kind: 'updated', runId: this.runId });
    });
  }

  /** The run ends with a final status (e.g. CANCELLED by a user at a batch boundary). */
  async finish(status: 'COMPLETED' | 'CANCELLED' | 'FAILED'): Promise<number> {
    return this.transaction(async () => {
      await this.client.query(`UPDATE "Run" SET "status" = $2, "finishedAt" = timezone('utc', now()) WHERE "id" = $1`, [
        this.runId,
        status,
      ]);
      await this.notify(this.client, { kind: 'status', runId: this.runId });
    });
  }

  /** Runs `body` in a transaction; returns the moment COMMIT was sent (when the notifications leave). */
  private async transaction(body: () => Promise<void>): Promise<number> {
    await this.client.query('BEGIN');
    try {
      await body();
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    const committedAt = performance.now();
    await this.client.query('COMMIT');
    return committedAt;
  }

  private async notify(client: pg.Client, notification: RunNotification): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [RUN_EVENTS_CHANNEL, encodeRunNotification(notification)]);
  }
}
