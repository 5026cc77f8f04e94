'use client';
// The run's system metrics (Run.systemMetrics): the CPU and memory its training process used, and the GPU's use for a
// run that trains on one, as charts with a sentence of means and peaks. Fetched again every few seconds while the run
// is live; the worker samples every SYSTEM_METRICS_SECONDS (default 5).
import { LineSeriesChart } from '../../components/charts';
import { ErrorMessage } from '../../components/states';
import { useQuery } from '../../lib/api-context';
import { RUN_SYSTEM_METRICS } from '../../lib/documents';
import { hasGpu, systemMetricRows, systemMetricSummary } from '../../lib/system-metrics';

/** Points drawn at most: the API thins a long run's samples evenly to this many. */
const MAX_POINTS = 500;
/** How often a live run's samples are fetched again. */
const POLL_MS = 3000;

export function SystemMetrics({ runId, live }: { runId: string; live: boolean }) {
  const metrics = useQuery(
    RUN_SYSTEM_METRICS,
    { id: runId, maxPoints: MAX_POINTS },
    { pollIntervalMs: live ? POLL_MS : undefined },
  );
  const points = metrics.data?.run?.systemMetrics ?? [];
  const rows = systemMetricRows(points);
  const summary = systemMetricSummary(points);
  return (
    <section aria-labelledby="system-metrics-heading" data-testid="system-metrics">
      <h2 id="system-metrics-heading">System metrics</h2>
      {metrics.error && <ErrorMessage error={metrics.error} />}
      <p className="state" data-testid="system-metrics-summary">
        {summary ??
          (metrics.loading && !metrics.data
            ? 'Loading system metrics…'
            : 'No samples yet: the worker samples its training process every few seconds while it trains.')}
      </p>
      <div className="grid">
        <LineSeriesChart
          title="CPU (% of one core)"
          testId="cpu-chart"
          data={rows}
          xKey="second"
          xLabel="second"
          series={[{ key: 'cpu', label: 'training process CPU %' }]}
        />
        <LineSeriesChart
          title="Memory (MiB)"
          testId="memory-chart"
          data={rows}
          xKey="second"
          xLabel="second"
          series={[{ key: 'memory', label: 'training process memory (RSS)' }]}
        />
        {hasGpu(points) && (
          <>
            <LineSeriesChart
              title="GPU utilization (%)"
              testId="gpu-chart"
              data={rows}
              xKey="second"
              xLabel="second"
              series={[{ key: 'gpu', label: 'GPU utilization %' }]}
            />
            <LineSeriesChart
              title="GPU memory (MiB)"
              testId="gpu-memory-chart"
              data={rows}
              xKey="second"
              xLabel="second"
              series={[{ key: 'gpuMemory', label: 'GPU memory in use' }]}
            />
          </>
        )}
      </div>
    </section>
  );
}
