// Links that download the compared runs' epochs from the API, one row per run and epoch, as CSV or JSON.
import { DownloadLink } from '../access/download-link';

/** The download paths RunComparison gives (on the API's server, not the dashboard's). */
export interface CompareDownloadPaths {
  readonly metricsCsvPath: string;
  readonly metricsJsonPath: string;
}

export function CompareDownloads({ comparison }: { comparison: CompareDownloadPaths }) {
  return (
    <p data-testid="compare-downloads">
      Metrics of these runs: <DownloadLink path={comparison.metricsCsvPath}>Download CSV</DownloadLink> ·{' '}
      <DownloadLink path={comparison.metricsJsonPath}>Download JSON</DownloadLink>
    </p>
  );
}
