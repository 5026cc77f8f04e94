// The metrics that the HTTP exports (exports/metrics-download.ts) write as CSV and JSON: a run's epochs, its stored
// batches, and the epochs of several runs side by side, each run with its id and name, read as stored.
import { badUserInput, notFound } from '../errors.js';
import type { BatchMetric, EpochMetric, PrismaClient } from '../generated/prisma/client.js';
import { MAX_COMPARED_RUNS } from './run-catalog.js';

/** One epoch's figures, as Run.metrics answers them. */
export type ExportedEpochMetric = Pick<
  EpochMetric,
  | 'epoch'
  | 'trainLoss'
  | 'trainAccuracy'
  | 'testLoss'
  | 'testAccuracy'
  | 'learningRate'
  | 'durationSeconds'
  | 'imagesPerSecond'
>;

/** One stored batch, as Run.batchMetrics answers it. */
export type ExportedBatchMetric = Pick<BatchMetric, 'step' | 'epoch' | 'batch' | 'loss' | 'accuracy' | 'learningRate'>;

export interface RunMetrics {
  readonly id: string;
  readonly name: string;
  /** In epoch order. */
  readonly metrics: ExportedEpochMetric[];
}

export interface RunBatchMetrics {
  readonly id: string;
  readonly name: string;
  /** Every stored batch (a long run keeps a sample: stored-batch.ts), in step order. */
  readonly batchMetrics: ExportedBatchMetric[];
}

const EPOCH_COLUMNS = {
  epoch: true,
  trainLoss: true,
  trainAccuracy: true,
  testLoss: true,
  testAccuracy: true,
  learningRate: true,
  durationSeconds: true,
  imagesPerSecond: true,
} as const;

const BATCH_COLUMNS = {
  step: true,
  epoch: true,
  batch: true,
  loss: true,
  accuracy: true,
  learningRate: true,
} as const;

export class MetricsExportService {
  constructor(private readonly prisma: PrismaClient) {}

  /** The run's epochs, or null when there is no run with this id. */
  async run(id: string): Promise<RunMetrics | null> {
    return this.prisma.run.findUnique({
      where: { id },
      select: { id: true, name: true, metrics: { select: EPOCH_COLUMNS, orderBy: { epoch: 'asc' } } },
    });
  }

  /** The run's stored batches, or null when there is no run with this id. */
  async runBatches(id: string): Promise<RunBatchMetrics | null> {
    return this.prisma.run.findUnique({
      where: { id },
      select: { id: true, name: true, batchMetrics: { select: BATCH_COLUMNS, orderBy: { step: 'asc' } } },
    });
  }

  /**
   * The epochs of 1 to MAX_COMPARED_RUNS runs, in the order asked (as compareRuns takes them): BAD_USER_INPUT for
   * too few or too many ids or an empty one, NOT_FOUND naming the first id without a run.
   */
  async compare(ids: readonly string[]): Promise<RunMetrics[]> {
    if (ids.length < 1 || ids.length > MAX_COMPARED_RUNS) {
      throw badUserInput('ids', `Expected 1 to ${MAX_COMPARED_RUNS} run ids, got ${ids.length}.`);
    }
    if (ids.includes('')) {
      throw badUserInput('ids', `Expected run ids separated by commas, got an empty one in '${ids.join(',')}'.`);
    }
    const runs = await this.prisma.run.findMany({
      where: { id: { in: [...new Set(ids)] } },
      select: { id: true, name: true, metrics: { select: EPOCH_COLUMNS, orderBy: { epoch: 'asc' } } },
    });
    const byId = new Map(runs.map((run) => [run.id, run]));
    return ids.map((id) => {
      const run = byId.get(id);
      if (!run) throw notFound('run', id);
      return run;
    });
  }
}
