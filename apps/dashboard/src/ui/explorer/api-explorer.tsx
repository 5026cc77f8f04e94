'use client';
// The API explorer: GraphiQL from npm (its Monaco editor and that editor's web workers bundled by Next, nothing from a
// CDN) against the API this dashboard talks to, with the API token when the API needs one for mutations.
import 'graphiql/setup-workers/webpack';
import 'graphiql/style.css';
import { GraphiQL } from 'graphiql';
import { useEffect, useMemo, useRef } from 'react';
import { useApi, useApiToken, useQuery } from '../../lib/api-context';
import { API_ACCESS } from '../../lib/documents';
import styles from './api-explorer.module.css';
import { ApiTokenField } from './api-token-field';
import { createExplorerFetcher } from './explorer-fetcher';

/** The first tab's operation, until the user has tabs of their own (GraphiQL keeps them in localStorage). */
const DEFAULT_QUERY = `# The ResNet Lab GraphQL API. Ctrl-Enter runs the operation, Ctrl-Space completes,
# and the Docs button (the book, top left) browses every type and field.
query System {
  system {
    version
    nodeVersion
    mutationsRequireToken
  }
}
`;

export function ApiExplorer() {
  const { url } = useApi();
  const settings = useQuery(API_ACCESS, {});
  const [token, setToken] = useApiToken();
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const explorer = useMemo(() => createExplorerFetcher(url, () => tokenRef.current), [url]);
  useEffect(() => () => explorer.dispose(), [explorer]);
  return (
    <div className={styles.explorer}>
      <ApiTokenField url={url} settings={settings} token={token} onTokenChange={setToken} />
      <div className={styles.graphiql}>
        <GraphiQL fetcher={explorer.fetcher} defaultQuery={DEFAULT_QUERY} />
      </div>
    </div>
  );
}
