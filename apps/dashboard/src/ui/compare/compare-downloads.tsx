// Links that download the compared runs' epochs from the API, one row per run and epoch, as CSV or JSON.
import { useApi } from '../../lib/api-context';

/** The download paths RunComparison gives (on the API's server, not the dashboard's). */
export interface CompareDownloadPaths {
  readonly metricsCsvPath: string;
  readonly metricsJsonPath: string;
}

export function CompareDownloads({ comparison }: { comparison: CompareDownloadPaths }) {
  const api = useApi();
  const href = (path: string) => new URL(path, api.url).href;
  return (
    <p data-testid="compare-downloads">
      Metrics of these runs:{' '}
      <a href={href(comparison.metricsCsvPath)} download>
        Download CSV
      </a>{' '}
      ·{' '}
      <a href={href(comparison.metricsJsonPath)} download>
        Download JSON
      </a>
    </p>
  );
}
