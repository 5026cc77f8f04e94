// The rows a line chart draws from its data: each series smoothed (lib/smoothing.ts) and split at the last inherited
// x into an inherited and an own line, with the raw values beside the smoothed ones, and nothing a log axis cannot
// show.
import { smoothSeries } from './smoothing';

/** Suffix of a series' inherited line: its points up to and including the last inherited x. */
export const INHERITED_SUFFIX = '~inherited';
/** Suffix of a series' raw values, drawn faintly under the smoothed line while smoothing is on. */
export const RAW_SUFFIX = '~raw';

export interface ChartRowOptions {
  /** Smoothing weight, 0 (none) to below 1. */
  readonly smoothing: number;
  /** Values at or below 0 are dropped (null): a log axis has no place for them. */
  readonly logScale: boolean;
  /** The last x whose point was inherited from the run's lineage; null when none was. */
  readonly inheritedThrough: number | null;
}

/**
 * For each row: x; `<key>`, the series' value (smoothed) where x is at or after the last inherited x, so that the own
 * line starts where the inherited one ends; `<key>~inherited` where x is at or before it; and `<key>~raw`, the value
 * before smoothing, while smoothing is on. Smoothing runs over the whole history, inherited and own together.
 */
export function chartRows(
  data: readonly Record<string, number | null>[],
  xKey: string,
  keys: readonly string[],
  { smoothing, logScale, inheritedThrough }: ChartRowOptions,
): Record<string, number | null>[] {
  const shown = (value: number | null | undefined) =>
    value === null || value === undefined || (logScale && !(value > 0)) ? null : value;
  const columns = keys.map((key) => {
    const raw = data.map((row) => row[key] ?? null);
    return { key, raw, main: smoothing > 0 ? smoothSeries(raw, smoothing) : raw };
  });
  return data.map((row, index) => {
    const x = row[xKey] ?? null;
    const result: Record<string, number | null> = { [xKey]: x };
    const inherited = inheritedThrough !== null && x !== null && x <= inheritedThrough;
    const own = inheritedThrough === null || (x !== null && x >= inheritedThrough);
    for (const { key, raw, main } of columns) {
      result[key] = own ? shown(main[index]) : null;
      if (inheritedThrough !== null) result[`${key}${INHERITED_SUFFIX}`] = inherited ? shown(main[index]) : null;
      if (smoothing > 0) result[`${key}${RAW_SUFFIX}`] = shown(raw[index]);
    }
    return result;
  });
}
