// The history a resumed run continues, its lineage: the runs that its resumedFrom checkpoints lead back to, and
// their epoch and batch metrics up to each checkpoint's epoch, followed by the run's own.
import { Prisma } from '../generated/prisma/client.js';
import type { EpochMetric, PrismaClient, Run } from '../generated/prisma/client.js';
import { groupBy } from './batch-loader.js';
import { checkMaxPoints, evenlySpaced } from './evenly-spaced.js';
import { MAX_BATCH_POINTS, type BatchMetricPoint } from './run-catalog.js';

/**
 * Most runs a lineage goes back. Every resume adds one; the chain ends sooner at a run that was not resumed, or whose
 * checkpoint was deleted with its run.
 */
export const MAX_LINEAGE_DEPTH = 100;

/** One run of a lineage and the part of its history that the lineage continues. */
export interface LineageSegment {
  readonly run: Run;
  /** Whether an ancestor (true), or the run asked about (false). */
  readonly inherited: boolean;
  /** The epoch of the checkpoint that its successor resumed from; null for the run asked about (all its epochs). */
  readonly throughEpoch: number | null;
}

/** An epoch of a lineage, as Run.lineageMetrics returns it. */
export interface LineageEpochMetric {
  readonly run: Run;
  readonly inherited: boolean;
  readonly metric: EpochMetric;
}

/** A stored batch of a lineage, as Run.lineageBatchMetrics returns it. */
export interface LineageBatchMetric {
  readonly run: Run;
  readonly inherited: boolean;
  readonly metric: BatchMetricPoint;
}

export class RunLineage {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * The run's lineage, oldest first, then the run itself: one statement that follows resumedFrom checkpoints back,
   * visits each run once (a cycle, which resumeRun cannot make, ends the chain) and stops MAX_LINEAGE_DEPTH runs
   * back. Empty for an unknown run.
   */
  async segments(runId: string): Promise<LineageSegment[]> {
    const rows = await this.prisma.$queryRaw<(Run & { depth: number; throughEpoch: number | null })[]>`
      WITH RECURSIVE "chain" ("runId", "resumedFromCheckpointId", "depth", "throughEpoch", "path") AS (
        SELECT "id", "resumedFromCheckpointId", 0, CAST(NULL AS integer), ARRAY["id"]
        FROM "Run"
        WHERE "id" = ${runId}
        UNION ALL
        SELECT "parent"."id", "parent"."resumedFromCheckpointId", "chain"."depth" + 1, "checkpoint"."epoch",
          "chain"."path" || "parent"."id"
        FROM "chain"
        JOIN "Checkpoint" AS "checkpoint" ON "checkpoint"."id" = "chain"."resumedFromCheckpointId"
        JOIN "Run" AS "parent" ON "parent"."id" = "checkpoint"."runId"
        WHERE "chain"."depth" < ${MAX_LINEAGE_DEPTH} AND "parent"."id" <> ALL ("chain"."path")
      )
      SELECT "Run".*, "chain"."depth", "chain"."throughEpoch"
      FROM "chain"
      JOIN "Run" ON "Run"."id" = "chain"."runId"
      ORDER BY "chain"."depth" DESC`;
    return rows.map(({ depth, throughEpoch, ...run }) => ({ run, inherited: depth > 0, throughEpoch }));
  }

  /** The runs whose history the run continues, oldest first. */
  async ancestors(runId: string): Promise<Run[]> {
    return (await this.segments(runId)).filter((segment) => segment.inherited).map((segment) => segment.run);
  }

  /** Each ancestor's epochs up to its checkpoint's epoch, oldest first, then the run's own, each in epoch order. */
  async epochMetrics(runId: string): Promise<LineageEpochMetric[]> {
    const segments = await this.segments(runId);
    if (segments.length === 0) return [];
    const rows = await this.prisma.epochMetric.findMany({
      where: {
        OR: segments.map(({ run, throughEpoch }) => ({
          runId: run.id,
          ...(throughEpoch === null ? {} : { epoch: { lte: throughEpoch } }),
        })),
      },
      orderBy: { epoch: 'asc' },
    });
    const byRun = groupBy(rows, (metric) => metric.runId);
    return segments.flatMap(({ run, inherited }) =>
      (byRun.get(run.id) ?? []).map((metric) => ({ run, inherited, metric })),
    );
  }

  /**
   * The stored batches of the same history, in lineage then step order, thinned to at most `maxPoints` by the rule
   * of RunCatalog.batchMetrics applied to all of them together: the n rows are numbered 0 to n - 1 and row i is kept
   * where floor(i * (maxPoints - 1) / (n - 1)) first takes a value. A run that was not resumed gets its batchMetrics.
   */
  async batchMetrics(runId: string, maxPoints: number): Promise<LineageBatchMetric[]> {
    checkMaxPoints(maxPoints, MAX_BATCH_POINTS);
    const segments = await this.segments(runId);
    if (segments.length === 0) return [];
    const values = segments.map(
      ({ run, throughEpoch }, position) =>
        Prisma.sql`(CAST(${run.id} AS text), CAST(${position} AS integer), CAST(${throughEpoch} AS integer))`,
    );
    const rows = await this.prisma.$queryRaw<(BatchMetricPoint & { position: number })[]>`
      SELECT "position", "epoch", "batch", "step", "loss", "accuracy", "learningRate"
      FROM (
        SELECT "stored".*, "segment"."position",
          row_number() OVER (ORDER BY "segment"."position", "stored"."step") - 1 AS "index",
          count(*) OVER () AS "count"
        FROM "BatchMetric" AS "stored"
        JOIN (VALUES ${Prisma.join(values)}) AS "segment" ("runId", "position", "throughEpoch")
          ON "stored"."runId" = "segment"."runId"
          AND ("segment"."throughEpoch" IS NULL OR "stored"."epoch" <= "segment"."throughEpoch")
      ) AS "numbered"
      WHERE ${evenlySpaced(maxPoints)}
      ORDER BY "position", "step"`;
    return rows.map(({ position, ...metric }) => {
      const { run, inherited } = segments[position]!;
      return { run, inherited, metric };
    });
  }
}
