// The run queue: graphile-worker jobs in the same PostgreSQL server, one job per queued run (job key = run id).
// graphile-worker rather than pg-boss: a new job reaches an idle worker through LISTEN/NOTIFY within milliseconds
// instead of at the next poll; jobs are taken in order (priority, run_at, id) with SKIP LOCKED, so each is claimed by
// exactly one worker; job keys make enqueueing a run twice a no-op; and forceUnlockWorkers hands the job of a worker
// that died back to the queue at once instead of after a lock timeout. The Run row stays the source of truth for
// a run's state: a worker claims a job's run only while it is QUEUED.
import { Logger, makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import type { Prisma } from '../generated/prisma/client.js';

/** The task every run job names. */
export const TRAIN_RUN_TASK = 'train-run';

export interface TrainRunPayload {
  readonly runId: string;
}

/**
 * Adds the run's job inside the caller's transaction, so that the run row and its job commit together; resets the
 * job a run already has (one a lost worker held, unlocked). One attempt per job: a run's retries are counted on the
 * run (RUN_RETRIES), not by the queue. `keepPlace`: a run already waiting keeps its place in line.
 */
export async function enqueueRun(
  transaction: Prisma.TransactionClient,
  runId: string,
  { keepPlace = false }: { keepPlace?: boolean } = {},
): Promise<void> {
  const mode = keepPlace ? 'preserve_run_at' : 'replace';
  await transaction.$executeRaw`SELECT graphile_worker.add_job(${TRAIN_RUN_TASK}, json_build_object('runId', ${runId}::text),
    job_key := ${runId}::text, max_attempts := 1, job_key_mode := ${mode}::text)`;
}

/** Removes the run's job inside the caller's transaction, unless a worker holds it (its claim will then fail). */
export async function dequeueRun(transaction: Prisma.TransactionClient, runId: string): Promise<void> {
  await transaction.$executeRaw`SELECT graphile_worker.remove_job(${runId}::text)`;
}

export class RunQueue {
  private constructor(private readonly utils: WorkerUtils) {}

  /** Connects, and installs or upgrades graphile-worker's schema (idempotent, under its own lock). */
  static async open(connectionString: string): Promise<RunQueue> {
    const utils = await makeWorkerUtils({ connectionString, logger: quietLogger });
    await utils.migrate();
    return new RunQueue(utils);
  }

  /** Releases the jobs of workers that stopped without finishing them, so that others can take them. */
  async unlockWorkers(queueWorkerIds: readonly string[]): Promise<void> {
    if (queueWorkerIds.length > 0) await this.utils.forceUnlockWorkers([...queueWorkerIds]);
  }

  async close(): Promise<void> {
    await this.utils.release();
  }
}

/** graphile-worker logs every job at info level; its warnings and errors are worth seeing. */
export const quietLogger = new Logger(() => (level, message) => {
  // LogLevel is an ambient const enum, which this project's module settings cannot read: compare its values.
  if (['error', 'warning'].includes(level)) console.error(`[queue] ${message}`);
});
