'use client';
// The run page's charts and epoch table: its history, the epochs and batches it continues from the runs it was
// resumed from (dashed, marked, linked) followed by its own as they arrive, with shared smoothing and log scale.
import Link from 'next/link';
import { Fragment, useState } from 'react';
import { ChartSettings, DEFAULT_CHART_VIEW, type ChartView } from '../../components/chart-settings';
import { LineSeriesChart } from '../../components/charts';
import type { EpochMetricRowFragment, RunHistoryFragment } from '../../generated/graphql';
import type { BatchPoint } from '../../lib/batch-points';
import {
  epochHistory,
  inheritedThrough,
  lineageBatchCurve,
  lineageSpans,
  type LineageSpan,
} from '../../lib/lineage-history';
import { EpochTable } from './epoch-table';
import styles from './run-history.module.css';

export function RunHistory({
  run,
  liveBatches,
}: {
  /** The run as the page holds it: its lineage as loaded, its own metrics as they arrive live. */
  run: RunHistoryFragment & { readonly metrics: readonly EpochMetricRowFragment[] };
  liveBatches: readonly BatchPoint[];
}) {
  const [view, setView] = useState<ChartView>(DEFAULT_CHART_VIEW);
  const history = epochHistory(run.lineageMetrics, run.metrics);
  const through = inheritedThrough(history);
  const batches = lineageBatchCurve(run.lineageBatchMetrics, liveBatches);
  const epochs = history.map(({ metric }) => metric);
  return (
    <>
      <h2>Curves</h2>
      {run.lineage.length > 0 && <LineageNote lineage={run.lineage} spans={lineageSpans(history)} />}
      <ChartSettings view={view} onChange={setView} />
      <div className="grid">
        <LineSeriesChart
          title="Loss per epoch"
          testId="loss-chart"
          data={epochs.map((metric) => ({ epoch: metric.epoch, train: metric.trainLoss, test: metric.testLoss }))}
          xKey="epoch"
          xLabel="epoch"
          series={[
            { key: 'train', label: 'train loss', goal: 'min' },
            { key: 'test', label: 'test loss', goal: 'min' },
          ]}
          smoothing={view.smoothing}
          logScale={view.logScale}
          inheritedThrough={through}
        />
        <LineSeriesChart
          title="Accuracy per epoch"
          testId="accuracy-chart"
          percent
          data={epochs.map((metric) => ({
            epoch: metric.epoch,
            train: metric.trainAccuracy,
            test: metric.testAccuracy,
          }))}
          xKey="epoch"
          xLabel="epoch"
          series={[
            { key: 'train', label: 'train accuracy', goal: 'max' },
            { key: 'test', label: 'test accuracy', goal: 'max' },
          ]}
          smoothing={view.smoothing}
          inheritedThrough={through}
        />
        <LineSeriesChart
          title="Batch loss"
          testId="batch-chart"
          data={batches.points}
          xKey="step"
          xLabel="step"
          series={[{ key: 'loss', label: 'batch loss', goal: 'min' }]}
          smoothing={view.smoothing}
          logScale={view.logScale}
          inheritedThrough={batches.inheritedThrough}
        />
        <LineSeriesChart
          title="Learning rate"
          testId="lr-chart"
          data={epochs.map((metric) => ({ epoch: metric.epoch, lr: metric.learningRate }))}
          xKey="epoch"
          xLabel="epoch"
          series={[{ key: 'lr', label: 'learning rate' }]}
          inheritedThrough={through}
        />
      </div>

      <h2>Epochs</h2>
      <EpochTable epochs={history} />
    </>
  );
}

/** Which runs the history comes from, oldest first, each with the epochs it contributes. */
function LineageNote({
  lineage,
  spans,
}: {
  lineage: readonly { readonly id: string; readonly name: string }[];
  spans: readonly LineageSpan[];
}) {
  return (
    <p className={styles.lineage} data-testid="run-lineage">
      Continues{' '}
      {lineage.map((ancestor, index) => {
        const span = spans.find((candidate) => candidate.run.id === ancestor.id);
        return (
          <Fragment key={ancestor.id}>
            {index > 0 && ' → '}
            <Link href={`/runs/${ancestor.id}`}>{ancestor.name}</Link>{' '}
            {span
              ? span.firstEpoch === span.lastEpoch
                ? `(epoch ${span.firstEpoch})`
                : `(epochs ${span.firstEpoch}–${span.lastEpoch})`
              : '(no epochs)'}
          </Fragment>
        );
      })}
      . Dashed lines and italic rows are inherited.
    </p>
  );
}
