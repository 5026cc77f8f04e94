// Links that download a run's metrics from the API as files: its epochs and its stored batches, as CSV or JSON.
import { DownloadLink } from '../access/download-link';

/** The download paths Run gives (on the API's server, not the dashboard's). */
export interface RunDownloadPaths {
  readonly metricsCsvPath: string;
  readonly metricsJsonPath: string;
  readonly batchMetricsCsvPath: string;
  readonly batchMetricsJsonPath: string;
}

export function RunDownloads({ run }: { run: RunDownloadPaths }) {
  return (
    <p data-testid="run-downloads">
      Epoch metrics: <DownloadLink path={run.metricsCsvPath}>Download CSV</DownloadLink> ·{' '}
      <DownloadLink path={run.metricsJsonPath}>Download JSON</DownloadLink> · Batch metrics:{' '}
      <DownloadLink path={run.batchMetricsCsvPath} title="Every stored batch (SGD step) as CSV">
        CSV
      </DownloadLink>{' '}
      ·{' '}
      <DownloadLink path={run.batchMetricsJsonPath} title="Every stored batch (SGD step) as JSON">
        JSON
      </DownloadLink>
    </p>
  );
}
