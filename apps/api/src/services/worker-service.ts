// Training workers, as they registered themselves and last reported: the read side for the API. The workers write
// their own rows (registration, heartbeats, the runs they claim).
import type { PrismaClient, Run, Worker } from '../generated/prisma/client.js';
import { BatchLoader, byId, groupBy } from './batch-loader.js';

export interface WorkerListOptions {
  /** Include workers that stopped or were lost (default: online ones only). */
  readonly includeStopped?: boolean | null;
}

export class WorkerService {
  private readonly workers = new BatchLoader<string, Worker>(async (ids) =>
    byId(await this.prisma.worker.findMany({ where: { id: { in: [...ids] } } })),
  );
  private readonly runningRuns = new BatchLoader<string, Run[]>(async (workerIds) =>
    groupBy(
      await this.prisma.run.findMany({
        where: { workerId: { in: [...workerIds] }, status: 'RUNNING' },
        orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      }),
      (run) => run.workerId!,
    ),
  );

  constructor(private readonly prisma: PrismaClient) {}

  /** Online workers first, then the rest; each group by last heartbeat, most recent first. */
  async list(options: WorkerListOptions = {}): Promise<Worker[]> {
    const workers = await this.prisma.worker.findMany({
      where: options.includeStopped ? {} : { status: 'ONLINE' },
      orderBy: [{ lastHeartbeatAt: 'desc' }, { id: 'asc' }],
    });
    return [
      ...workers.filter((worker) => worker.status === 'ONLINE'),
      ...workers.filter((worker) => worker.status !== 'ONLINE'),
    ];
  }

  async find(id: string): Promise<Worker | null> {
    return (await this.workers.load(id)) ?? null;
  }

  /** The run the worker is training now, or null. */
  async currentRun(workerId: string): Promise<Run | null> {
    return (await this.runningRuns.load(workerId))?.[0] ?? null;
  }
}
