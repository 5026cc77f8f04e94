// Percentiles of a set of latencies (nearest-rank), the figures every table of the API benchmark prints.

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles in the samples' unit; NaN throughout for no samples. */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(samples).sort();
  const rank = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
  let total = 0;
  for (const sample of sorted) total += sample;
  return {
    count: sorted.length,
    p50: rank(0.5),
    p90: rank(0.9),
    p99: rank(0.99),
    max: sorted[sorted.length - 1]!,
    mean: total / sorted.length,
  };
}

/** Milliseconds for a table cell: 3 significant digits, at least 1 decimal below 10 ms. */
export function formatMs(milliseconds: number): string {
  if (!Number.isFinite(milliseconds)) return '-';
  if (milliseconds < 10) return milliseconds.toFixed(2);
  if (milliseconds < 100) return milliseconds.toFixed(1);
  return milliseconds.toFixed(0);
}
