// Training workers as the database knows them: each registers with its host, backend and device, heartbeats, and
// says when it stops. Any process (every API and every worker) looks for workers that went silent and settles their
// runs: re-queued from their last checkpoint while the run has retries left (RUN_RETRIES), else FAILED as
// interrupted and resumable. A conditional update decides which process settles a lost worker, so it happens once.
import os from 'node:os';
import type { PrismaClient, Worker } from '../generated/prisma/client.js';
import { dequeueRun, type RunQueue } from '../queue/run-queue.js';
import type { RunRecorder } from './run-recorder.js';

/** A worker silent for this many heartbeat intervals is lost. */
export const MISSED_HEARTBEATS = 3;

export interface WorkerIdentity {
  readonly backend: string;
  readonly device: string;
  /** graphile-worker's id of this process's job runner. */
  readonly queueWorkerId: string;
}

export class WorkerRegistry {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly queue: RunQueue,
    private readonly recorder: RunRecorder,
    private readonly options: {
      readonly heartbeatSeconds: number;
      readonly runRetries: number;
      readonly log: (message: string) => void;
    },
  ) {}

  register(identity: WorkerIdentity): Promise<Worker> {
    return this.prisma.worker.create({ data: { host: os.hostname(), pid: process.pid, ...identity } });
  }

  /**
   * Records that the worker is alive. Returns false when it had been declared lost meanwhile (a long pause): its
   * run was settled by someone else, and it must stop training it.
   */
  async heartbeat(workerId: string): Promise<boolean> {
    const { count } = await this.prisma.worker.updateMany({
      where: { id: workerId, status: 'ONLINE' },
      data: { lastHeartbeatAt: new Date() },
    });
    return count === 1;
  }

  async stopped(workerId: string): Promise<void> {
    await this.prisma.worker.updateMany({
      where: { id: workerId, status: 'ONLINE' },
      data: { status: 'STOPPED', stoppedAt: new Date() },
    });
  }

  /** Settles every worker silent for MISSED_HEARTBEATS intervals. Returns how many this call settled. */
  async settleLost(): Promise<number> {
    const silentSince = new Date(Date.now() - MISSED_HEARTBEATS * this.options.heartbeatSeconds * 1000);
    const silent = await this.prisma.worker.findMany({
      where: { status: 'ONLINE', lastHeartbeatAt: { lt: silentSince } },
    });
    let settled = 0;
    for (const worker of silent) {
      const { count } = await this.prisma.worker.updateMany({
        where: { id: worker.id, status: 'ONLINE', lastHeartbeatAt: { lt: silentSince } },
        data: { status: 'LOST', stoppedAt: new Date() },
      });
      if (count === 0) continue; // another process settled it, or it came back
      settled++;
      await this.settleRunsOf(worker);
    }
    return settled;
  }

  private async settleRunsOf(worker: Worker): Promise<void> {
    const runs = await this.prisma.run.findMany({ where: { workerId: worker.id, status: 'RUNNING' } });
    await this.queue.unlockWorkers([worker.queueWorkerId]);
    const silence = `its worker on ${worker.host} (pid ${worker.pid}) stopped heartbeating`;
    for (const run of runs) {
      if (run.cancelRequestedAt) {
        await this.prisma.$transaction((transaction) => dequeueRun(transaction, run.id));
        await this.recorder.finish(run.id, { status: 'CANCELLED', errorMessage: null });
        continue;
      }
      if (run.attempts <= this.options.runRetries) {
        await this.recorder.requeue(
          run.id,
          `Re-queued (attempt ${run.attempts + 1} of ${this.options.runRetries + 1}): ${silence}.`,
        );
        this.options.log(`Run ${run.id}: ${silence}; re-queued from its last checkpoint.`);
      } else {
        await this.prisma.$transaction((transaction) => dequeueRun(transaction, run.id));
        const last = await this.prisma.checkpoint.findFirst({
          where: { runId: run.id, prunedAt: null },
          orderBy: { epoch: 'desc' },
        });
        await this.recorder.finish(run.id, {
          status: 'FAILED',
          errorMessage: `Interrupted: ${silence}. ${resumeHint(last?.epoch ?? null)}`,
        });
        this.options.log(`Run ${run.id}: ${silence}; marked FAILED (RUN_RETRIES=${this.options.runRetries}).`);
      }
    }
  }
}

/** What a person can do with an interrupted run. */
export function resumeHint(lastEpoch: number | null): string {
  return lastEpoch === null
    ? 'It had no checkpoint yet; start it again.'
    : `Resume it from its epoch ${lastEpoch} checkpoint with resumeRun.`;
}
