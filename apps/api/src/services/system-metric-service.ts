// System metrics of runs: the samples workers take of their training processes (worker/system-metrics-sampler.ts),
// stored one row each, and read evenly thinned to at most a given number of points.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { SystemMetricSample } from '../worker/system-metrics-sampler.js';
import { checkMaxPoints, evenlySpaced } from './evenly-spaced.js';

/** Most points Run.systemMetrics returns. */
export const MAX_SYSTEM_METRIC_POINTS = 5000;

/** A sample as Run.systemMetrics returns it: byte counts as numbers (exact below 2^53 bytes, 8 PiB). */
export type SystemMetricPoint = SystemMetricSample;

interface SystemMetricRow {
  readonly at: Date;
  readonly cpuPercent: number;
  readonly memoryBytes: bigint;
  readonly systemMemoryUsedBytes: bigint | null;
  readonly gpuUtilization: number | null;
  readonly gpuMemoryBytes: bigint | null;
}

export class SystemMetricService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Stores a sample; a second sample of the run at the same millisecond is ignored. */
  async record(runId: string, sample: SystemMetricSample): Promise<void> {
    await this.prisma.systemMetric.createMany({
      data: [
        {
          runId,
          at: sample.at,
          cpuPercent: sample.cpuPercent,
          memoryBytes: BigInt(sample.memoryBytes),
          systemMemoryUsedBytes: bigIntOrNull(sample.systemMemoryUsedBytes),
          gpuUtilization: sample.gpuUtilization,
          gpuMemoryBytes: bigIntOrNull(sample.gpuMemoryBytes),
        },
      ],
      skipDuplicates: true,
    });
  }

  /**
   * At most `maxPoints` of the run's samples, in time order, evenly spaced over them: the n samples are numbered 0 to
   * n - 1 and sample i is kept where floor(i * (maxPoints - 1) / (n - 1)) first takes a value, so the first and last
   * are kept (as Run.batchMetrics thins batches).
   */
  async list(runId: string, maxPoints: number): Promise<SystemMetricPoint[]> {
    checkMaxPoints(maxPoints, MAX_SYSTEM_METRIC_POINTS);
    const rows = await this.prisma.$queryRaw<SystemMetricRow[]>`
      SELECT "at", "cpuPercent", "memoryBytes", "systemMemoryUsedBytes", "gpuUtilization", "gpuMemoryBytes"
      FROM (
        SELECT *, row_number() OVER (ORDER BY "at") - 1 AS "index", count(*) OVER () AS "count"
        FROM "SystemMetric"
        WHERE "runId" = ${runId}
      ) AS "numbered"
      WHERE ${evenlySpaced(maxPoints)}
      ORDER BY "at"`;
    return rows.map((row) => ({
      at: row.at,
      cpuPercent: row.cpuPercent,
      memoryBytes: Number(row.memoryBytes),
      systemMemoryUsedBytes: numberOrNull(row.systemMemoryUsedBytes),
      gpuUtilization: row.gpuUtilization,
      gpuMemoryBytes: numberOrNull(row.gpuMemoryBytes),
    }));
  }
}

function bigIntOrNull(value: number | null): bigint | null {
  return value === null ? null : BigInt(Math.round(value));
}

function numberOrNull(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}
