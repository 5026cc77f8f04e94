'use client';
// Provides the GraphQL client to every page, and hooks to query and subscribe with loading and error states.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiUnreachableError, createGraphQLClient, type GraphQLClient } from './graphql-client';

const ApiContext = createContext<GraphQLClient | null>(null);

export function ApiProvider({ url, children }: { url: string; children: ReactNode }) {
  const client = useMemo(() => createGraphQLClient(url), [url]);
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): GraphQLClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi must be used inside <ApiProvider>.');
  return client;
}

/** How often a query is retried while the API cannot be reached. */
const RETRY_WHEN_DOWN_MS = 3000;

export interface QueryState<Data> {
  readonly data: Data | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  /** Fetches again; the current data stays on screen meanwhile. */
  readonly refetch: () => void;
  /** Replaces the data locally, e.g. with a subscription's update. */
  readonly setData: (update: (previous: Data | undefined) => Data | undefined) => void;
}

/** Runs a query; retries on its own while the API is down, so pages recover when it comes back. */
export function useQuery<Data>(query: string, variables: Record<string, unknown> = {}, skip = false): QueryState<Data> {
  const client = useApi();
  const [data, setData] = useState<Data | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(!skip);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    let active = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      setLoading(true);
      client.request<Data>(query, JSON.parse(key) as Record<string, unknown>).then(
        (result) => {
          if (!active) return;
          setData(result);
          setError(undefined);
          setLoading(false);
        },
        (failure: Error) => {
          if (!active) return;
          setError(failure);
          setLoading(false);
          if (failure instanceof ApiUnreachableError) retry = setTimeout(run, RETRY_WHEN_DOWN_MS);
        },
      );
    };
    run();
    return () => {
      active = false;
      clearTimeout(retry);
    };
  }, [client, query, key, skip, generation]);
  const refetch = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, refetch, setData };
}

/** Subscribes while mounted; the handler always sees the latest render's closure. */
export function useSubscription<Data>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: Data) => void,
  skip = false,
): void {
  const client = useApi();
  const handler = useRef(onData);
  handler.current = onData;
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    return client.subscribe<Data>(query, JSON.parse(key) as Record<string, unknown>, {
      onData: (data) => handler.current(data),
    });
  }, [client, query, key, skip]);
}
