// Brings run events from whatever process recorded them (a worker on any machine, or this API for CLI-tracked runs)
// to this API's subscribers: one LISTEN connection per API process. A notification that names a row is read once
// and the same object goes to every subscriber; events of one run are handled in order, one at a time, so
// subscribers see them in the order they were committed.
import pg from 'pg';
import type { PrismaClient } from '../generated/prisma/client.js';
import { FINAL_STATUSES, statusChanged, type RunEvents } from './run-events.js';
import { RUN_EVENTS_CHANNEL, decodeRunNotification, type RunNotification } from './run-notification.js';

/** Wait before reconnecting a dropped LISTEN connection. */
const RECONNECT_DELAY_MS = 1000;

export class RunEventListener {
  private client: pg.Client | null = null;
  private closed = false;
  /** Per run, the end of its chain of notifications being handled. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Runs with an `updated` read queued but not started: later ones fold into it. */
  private readonly pendingUpdates = new Set<string>();

  private constructor(
    private readonly url: string,
    private readonly prisma: PrismaClient,
    private readonly events: RunEvents,
    private readonly log: (message: string) => void,
  ) {}

  static async start(
    url: string,
    prisma: PrismaClient,
    events: RunEvents,
    log: (message: string) => void,
  ): Promise<RunEventListener> {
    const listener = new RunEventListener(url, prisma, events, log);
    await listener.connect();
    return listener;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      if (message.channel !== RUN_EVENTS_CHANNEL || !message.payload) return;
      const notification = decodeRunNotification(message.payload);
      if (notification) this.handle(notification);
    });
    client.on('error', (error) => this.log(`Run events: the LISTEN connection failed: ${error.message}`));
    client.on('end', () => {
      if (this.closed) return;
      this.client = null;
      setTimeout(() => void this.reconnect(), RECONNECT_DELAY_MS).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${RUN_EVENTS_CHANNEL}`);
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    try {
      await this.connect();
      this.log('Run events: LISTEN connection restored.');
    } catch (error) {
      this.log(`Run events: reconnecting failed (${(error as Error).message}); retrying.`);
      setTimeout(() => void this.reconnect(), RECONNECT_DELAY_MS).unref();
    }
  }

  private handle(notification: RunNotification): void {
    const { runId } = notification;
    if (notification.kind === 'updated') {
      if (!this.events.hasRunUpdatedListeners() || this.pendingUpdates.has(runId)) return;
      this.pendingUpdates.add(runId);
    } else if (!this.isWanted(notification)) {
      return;
    }
    const previous = this.chains.get(runId) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliver(notification))
      .catch((error: unknown) =>
        this.log(`Run events: could not deliver a ${notification.kind} event of ${runId}: ${String(error)}`),
      )
      .finally(() => {
        if (this.chains.get(runId) === next) this.chains.delete(runId);
      });
    this.chains.set(runId, next);
  }

  /** Whether this process has a subscriber for a notification other than `updated`. */
  private isWanted(notification: RunNotification): boolean {
    const { runId } = notification;
    switch (notification.kind) {
      case 'logs':
        return this.events.logs.has(runId);
      case 'status':
        return (
          this.events.hasProgressListeners(runId) || this.events.hasRunUpdatedListeners() || this.events.logs.has(runId)
        );
      default:
        return this.events.hasProgressListeners(runId);
    }
  }

  private async deliver(notification: RunNotification): Promise<void> {
    const { runId } = notification;
    switch (notification.kind) {
      case 'batch': {
        const { epoch, batch, batches, loss, accuracy, learningRate, imagesPerSecond, progress } = notification;
        this.events.publishProgress({
          __typename: 'BatchProgress',
          runId,
          epoch,
          batch,
          batches,
          loss,
          accuracy,
          learningRate,
          imagesPerSecond,
          progress,
        });
        return;
      }
      case 'epoch': {
        const metric = await this.prisma.epochMetric.findUnique({ where: { id: notification.metricId } });
        if (metric) this.events.publishProgress({ __typename: 'EpochCompleted', runId, metric });
        return;
      }
      case 'checkpoint': {
        const checkpoint = await this.prisma.checkpoint.findUnique({ where: { id: notification.checkpointId } });
        if (checkpoint) this.events.publishProgress({ __typename: 'CheckpointSaved', runId, checkpoint });
        return;
      }
      case 'logs': {
        const lines = await this.prisma.runLog.findMany({
          where: { runId, seq: { gt: notification.afterSeq, lte: notification.lastSeq } },
          orderBy: { seq: 'asc' },
        });
        for (const line of lines) this.events.logs.publish(runId, { kind: 'line', line });
        return;
      }
      case 'status': {
        const run = await this.prisma.run.findUnique({ where: { id: runId } });
        if (!run) return;
        this.events.publishProgress(statusChanged(run));
        this.events.publishRunUpdated(run);
        if (FINAL_STATUSES.has(run.status)) this.events.logs.publish(runId, { kind: 'ended' });
        return;
      }
      case 'updated': {
        this.pendingUpdates.delete(runId);
        const run = await this.prisma.run.findUnique({ where: { id: runId } });
        if (run) this.events.publishRunUpdated(run);
        return;
      }
    }
  }

  /** Waits for the events being handled, then stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.chains.values());
    await this.client?.end().catch(() => undefined);
  }
}
