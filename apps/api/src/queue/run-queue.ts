// The run queue: graphile-worker jobs in the same PostgreSQL server, one job per queued run (job key = run id).
// graphile-worker rather than pg-boss: a new job reaches an idle worker through LISTEN/NOTIFY within milliseconds
// instead of at the next poll; jobs are taken in order (priority, run_at, id) with SKIP LOCKED, so each is claimed by
// exactly one worker; job keys make enqueueing a run twice a no-op; and forceUnlockWorkers hands the job of a worker
// that died back to the queue at once instead of after a lock timeout. The Run row stays the source of truth for
// a run's state: a worker claims a job's run only while it is QUEUED.
import { Logger, makeWorkerUtils, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
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

  /** Installs or upgrades graphile-worker's schema, then connects. */
  static async open(connectionString: string): Promise<RunQueue> {
    await installQueueSchema(connectionString);
    return new RunQueue(await makeWorkerUtils({ connectionString, logger: quietLogger }));
  }

  /** Releases the jobs of workers that stopped without finishing them, so that others can take them. */
  async unlockWorkers(queueWorkerIds: readonly string[]): Promise<void> {
    if (queueWorkerIds.length > 0) await this.utils.forceUnlockWorkers([...queueWorkerIds]);
  }

  async close(): Promise<void> {
    await this.utils.release();
  }
}

/** An advisory lock key of ours: graphile-worker's schema installation. */
const QUEUE_SCHEMA_LOCK = 72707370;

/**
 * graphile-worker's own migration is not safe against a concurrent one: two processes starting on a fresh database
 * (two APIs, an API and a worker) both try to create its schema, and one fails with a duplicate key. Holding an
 * advisory lock around it makes the second wait, then find the schema there.
 */
async function installQueueSchema(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [QUEUE_SCHEMA_LOCK]);
    try {
      await runMigrations({ connectionString, logger: quietLogger });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [QUEUE_SCHEMA_LOCK]);
    }
  } finally {
    await client.end();
  }
}

/** graphile-worker logs every job at info level; its warnings and errors are worth seeing. */
export const quietLogger = new Logger(() => (level, message) => {
  // LogLevel is an ambient const enum, which this project's module settings cannot read: compare its values.
  if (['error', 'warning'].includes(level)) console.error(`[queue] ${message}`);
});
