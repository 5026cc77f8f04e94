// The text alternative of a line chart: what a reader of the picture takes from it, in one sentence per series, e.g.
// "test accuracy: 8 epochs, last 62.0%, best 64.0% at epoch 7".

/** Which values of a series are best, if any: the highest (accuracy) or the lowest (loss). */
export type SeriesGoal = 'max' | 'min';

export interface SummarySeries {
  readonly key: string;
  readonly label: string;
  readonly goal?: SeriesGoal;
}

/**
 * One sentence per series: how many points it has, the last value, and the best one (by `goal`) or, without a goal,
 * the lowest and the highest, each with the x where it is (the first such x on a tie). Values read as `format` writes
 * them; missing ones (null) are left out.
 */
export function chartSummary(
  rows: readonly Record<string, number | null>[],
  xKey: string,
  xLabel: string,
  series: readonly SummarySeries[],
  format: (value: number) => string,
): string {
  return series
    .map((entry) => {
      const points = rows.flatMap((row) => {
        const x = row[xKey];
        const y = row[entry.key];
        return x === null || x === undefined || y === null || y === undefined ? [] : [{ x, y }];
      });
      if (points.length === 0) return `${entry.label}: no points yet.`;
      const extreme = (better: (a: number, b: number) => boolean) =>
        points.reduce((best, point) => (better(point.y, best.y) ? point : best));
      const at = (point: { x: number; y: number }) => `${format(point.y)} at ${xLabel} ${point.x}`;
      const lowest = extreme((a, b) => a < b);
      const highest = extreme((a, b) => a > b);
      const extremes =
        entry.goal === 'max'
          ? `best ${at(highest)}`
          : entry.goal === 'min'
            ? `best ${at(lowest)}`
            : `lowest ${at(lowest)}, highest ${at(highest)}`;
      const count = `${points.length} ${points.length === 1 ? xLabel : `${xLabel}s`}`;
      return `${entry.label}: ${count}, last ${format(points.at(-1)!.y)}, ${extremes}.`;
    })
    .join(' ');
}
