'use client';
// Compare: runs' curves overlaid, and their hyperparameters with the differences marked.
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { ChartSettings, DEFAULT_CHART_VIEW, type ChartView } from '../../components/chart-settings';
import { LineSeriesChart } from '../../components/charts';
import { StatusBadge } from '../../components/run-status';
import { Empty, QueryView } from '../../components/states';
import type { CompareQuery, EpochMetricRowFragment } from '../../generated/graphql';
import { useQuery } from '../../lib/api-context';
import { COMPARE } from '../../lib/documents';
import { percent } from '../../lib/format';
import { CompareDownloads } from '../../ui/compare/compare-downloads';
import { ParallelCoordinates } from '../../ui/compare/parallel-coordinates';

/** One row per epoch with a column per run, as the charts want them. */
function byEpoch(runs: CompareQuery['compareRuns']['runs'], pick: (metric: EpochMetricRowFragment) => number | null) {
  const epochs = [...new Set(runs.flatMap((run) => run.metrics.map((metric) => metric.epoch)))].sort((a, b) => a - b);
  return epochs.map((epoch) => {
    const row: Record<string, number | null> = { epoch };
    for (const run of runs) {
      const metric = run.metrics.find((candidate) => candidate.epoch === epoch);
      row[run.id] = metric ? pick(metric) : null;
    }
    return row;
  });
}

function Compare() {
  const ids = (useSearchParams().get('ids') ?? '').split(',').filter(Boolean);
  const comparison = useQuery(COMPARE, { ids }, { skip: ids.length < 2 });
  const [view, setView] = useState<ChartView>(DEFAULT_CHART_VIEW);
  if (ids.length < 2) {
    return (
      <Empty>
        Choose two or more runs on the <Link href="/">Runs</Link> page (the checkboxes), then Compare.
      </Empty>
    );
  }
  return (
    <QueryView state={comparison} what="the runs">
      {({ compareRuns: { runs, hyperparameters, metricsCsvPath, metricsJsonPath } }) => {
        const series = (goal: 'max' | 'min' | undefined) => runs.map((run) => ({ key: run.id, label: run.name, goal }));
        return (
          <>
            <table>
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Model</th>
                  <th>Dataset</th>
                  <th>Status</th>
                  <th className="number">Best test acc.</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <Link href={`/runs/${run.id}`}>{run.name}</Link>
                    </td>
                    <td>{run.model.name}</td>
                    <td>{run.dataset.name}</td>
                    <td>
                      <StatusBadge status={run.status} />
                    </td>
                    <td className="number">{percent(run.bestTestAccuracy, 2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <CompareDownloads comparison={{ metricsCsvPath, metricsJsonPath }} />
            <h2>Curves</h2>
            <ChartSettings view={view} onChange={setView} />
            <div className="grid">
              <LineSeriesChart
                title="Test accuracy"
                testId="compare-accuracy"
                percent
                data={byEpoch(runs, (m) => m.testAccuracy)}
                xKey="epoch"
                xLabel="epoch"
                series={series('max')}
                smoothing={view.smoothing}
              />
              <LineSeriesChart
                title="Train loss"
                testId="compare-loss"
                data={byEpoch(runs, (m) => m.trainLoss)}
                xKey="epoch"
                xLabel="epoch"
                series={series('min')}
                smoothing={view.smoothing}
                logScale={view.logScale}
              />
              <LineSeriesChart
                title="Test loss"
                testId="compare-test-loss"
                data={byEpoch(runs, (m) => m.testLoss)}
                xKey="epoch"
                xLabel="epoch"
                series={series('min')}
                smoothing={view.smoothing}
                logScale={view.logScale}
              />
              <LineSeriesChart
                title="Learning rate"
                testId="compare-lr"
                data={byEpoch(runs, (m) => m.learningRate)}
                xKey="epoch"
                xLabel="epoch"
                series={series(undefined)}
              />
            </div>
            <h2>Hyperparameters against accuracy</h2>
            <ParallelCoordinates runs={runs} hyperparameters={hyperparameters} />
            <h2>Hyperparameters</h2>
            <table data-testid="compare-hyperparameters">
              <thead>
                <tr>
                  <th />
                  {runs.map((run) => (
                    <th key={run.id}>{run.name}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {hyperparameters.map((entry) => (
                  <tr key={entry.name} className={entry.differs ? 'differs' : undefined}>
                    <th>
                      {entry.name}{' '}
                      {entry.differs && (
                        <span className="marker" title="differs between runs">
                          ≠
                        </span>
                      )}
                    </th>
                    {entry.values.map((value, index) => (
                      <td key={runs[index]!.id}>{value}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        );
      }}
    </QueryView>
  );
}

export default function ComparePage() {
  return (
    <>
      <h1>Compare runs</h1>
      <Suspense>
        <Compare />
      </Suspense>
    </>
  );
}
