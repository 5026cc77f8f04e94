// Training workers as the database knows them: each registers with its host, backend and device, heartbeats, and
// says when it stops. Any process (every API and every worker) looks for workers that went silent and settles their
// runs: re-queued from their last checkpoint while the run has retries left (RUN_RETRIES), else FAILED as
// interrupted and resumable. A conditional update decides which process settles a lost worker, so it happens once.
import os from 'node:os';
import type { PrismaClient, Worker } from '../generated/prisma/client.js';
import type { RunQueue } from '../queue/run-queue.js';
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

  /** Registers this process, with a first heartbeat by the database's clock. */
  async register(identity: WorkerIdentity): Promise<Worker> {
    const worker = await this.prisma.worker.create({
      data: { host: os.hostname(), pid: process.pid, heartbeatSeconds: this.options.heartbeatSeconds, ...identity },
    });
    await this.heartbeat(worker.id);
    return worker;
  }

  /**
   * Records that the worker is alive. Returns false when it had been declared lost meanwhile (a long pause): its
   * run was settled by someone else, and it must stop training it.
   */
  async heartbeat(workerId: string): Promise<boolean> {
    // The database's clock, not this machine's: workers and the processes that judge them may disagree on the time.
    // In UTC, as Prisma stores every timestamp.
    const updated = await this.prisma.$executeRaw`
      UPDATE "Worker" SET "lastHeartbeatAt" = now() AT TIME ZONE 'UTC' WHERE id = ${workerId} AND status = 'ONLINE'`;
    return updated === 1;
  }

  async stopped(workerId: string): Promise<void> {
    await this.prisma.worker.updateMany({
      where: { id: workerId, status: 'ONLINE' },
      data: { status: 'STOPPED', stoppedAt: new Date() },
    });
  }

  /** Settles every worker silent for MISSED_HEARTBEATS intervals. Returns how many this call settled. */
  async settleLost(): Promise<number> {
    // Taken by one conditional update, judged by the database's clock (see heartbeat): so once, whoever asks.
    const lost = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE "Worker" SET status = 'LOST', "stoppedAt" = now() AT TIME ZONE 'UTC'
      WHERE status = 'ONLINE'
        AND "lastHeartbeatAt" < now() AT TIME ZONE 'UTC' - make_interval(secs => ${MISSED_HEARTBEATS} * "heartbeatSeconds")
      RETURNING id`;
    for (const { id } of lost) await this.settleRunsOf(await this.prisma.worker.findUniqueOrThrow({ where: { id } }));
    return lost.length;
  }

  private async settleRunsOf(worker: Worker): Promise<void> {
    const runs = await this.prisma.run.findMany({ where: { workerId: worker.id, status: 'RUNNING' } });
    await this.queue.unlockWorkers([worker.queueWorkerId]);
    const why = `its worker on ${worker.host} (pid ${worker.pid}) stopped heartbeating`;
    for (const run of runs) {
      const status = await this.recorder.interrupt(run.id, why, this.options.runRetries);
      this.options.log(`Run ${run.id}: ${why}; now ${status} (RUN_RETRIES=${this.options.runRetries}).`);
    }
  }
}
