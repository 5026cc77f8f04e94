// Links that download a run's metrics from the API as files: its epochs and its stored batches, as CSV or JSON.
import { useApi } from '../../lib/api-context';

/** The download paths Run gives (on the API's server, not the dashboard's). */
export interface RunDownloadPaths {
  readonly metricsCsvPath: string;
  readonly metricsJsonPath: string;
  readonly batchMetricsCsvPath: string;
  readonly batchMetricsJsonPath: string;
}

export function RunDownloads({ run }: { run: RunDownloadPaths }) {
  const api = useApi();
  const href = (path: string) => new URL(path, api.url).href;
  return (
    <p data-testid="run-downloads">
      Epoch metrics:{' '}
      <a href={href(run.metricsCsvPath)} download>
        Download CSV
      </a>{' '}
      ·{' '}
      <a href={href(run.metricsJsonPath)} download>
        Download JSON
      </a>{' '}
      · Batch metrics:{' '}
      <a href={href(run.batchMetricsCsvPath)} download title="Every stored batch (SGD step) as CSV">
        CSV
      </a>{' '}
      ·{' '}
      <a href={href(run.batchMetricsJsonPath)} download title="Every stored batch (SGD step) as JSON">
        JSON
      </a>
    </p>
  );
}
