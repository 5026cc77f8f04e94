// The history a run's page draws: the epochs and batches it inherited from the runs it was resumed from (its
// lineage, from Run.lineageMetrics and Run.lineageBatchMetrics), then its own, which grow live.
import type { EpochMetricRowFragment } from '../generated/graphql';
import type { BatchPoint } from './batch-points';
import { batchCurve } from './batch-points';

export interface LineageRun {
  readonly id: string;
  readonly name: string;
}

/** An epoch of the history: the run's own (`from` null) or one inherited from a run of its lineage. */
export interface HistoryEpoch {
  readonly metric: EpochMetricRowFragment;
  readonly from: LineageRun | null;
}

/** Consecutive inherited epochs trained by one run of the lineage. */
export interface LineageSpan {
  readonly run: LineageRun;
  readonly firstEpoch: number;
  readonly lastEpoch: number;
}

/**
 * The inherited epochs of `lineageMetrics`, as the API ordered them, then the run's own `metrics` (live, so newer
 * than the lineage query) in epoch order, each after the last inherited epoch.
 */
export function epochHistory(
  lineageMetrics: readonly {
    readonly inherited: boolean;
    readonly run: LineageRun;
    readonly metric: EpochMetricRowFragment;
  }[],
  metrics: readonly EpochMetricRowFragment[],
): HistoryEpoch[] {
  const inherited = lineageMetrics
    .filter((entry) => entry.inherited)
    .map((entry) => ({ metric: entry.metric, from: { id: entry.run.id, name: entry.run.name } }));
  const through = inherited.at(-1)?.metric.epoch ?? 0;
  const own = [...metrics]
    .filter((metric) => metric.epoch > through)
    .sort((a, b) => a.epoch - b.epoch)
    .map((metric) => ({ metric, from: null }));
  return [...inherited, ...own];
}

/** The last inherited epoch, or null when the run continues none. */
export function inheritedThrough(history: readonly HistoryEpoch[]): number | null {
  return history.findLast((epoch) => epoch.from !== null)?.metric.epoch ?? null;
}

/** The inherited epochs grouped by the run that trained them, oldest first. */
export function lineageSpans(history: readonly HistoryEpoch[]): LineageSpan[] {
  const spans: LineageSpan[] = [];
  for (const { metric, from } of history) {
    if (from === null) continue;
    const last = spans.at(-1);
    if (last && last.run.id === from.id) spans[spans.length - 1] = { ...last, lastEpoch: metric.epoch };
    else spans.push({ run: from, firstEpoch: metric.epoch, lastEpoch: metric.epoch });
  }
  return spans;
}

/**
 * The batch-loss curve of the history: the stored batches of the lineage and the run (thinned together by the API),
 * then the live ones after them; and the step of the last inherited batch, or null.
 */
export function lineageBatchCurve(
  stored: readonly { readonly inherited: boolean; readonly metric: BatchPoint }[],
  live: readonly BatchPoint[],
): { readonly points: BatchPoint[]; readonly inheritedThrough: number | null } {
  return {
    points: batchCurve(
      stored.map((entry) => entry.metric),
      live,
    ),
    inheritedThrough: stored.findLast((entry) => entry.inherited)?.metric.step ?? null,
  };
}
