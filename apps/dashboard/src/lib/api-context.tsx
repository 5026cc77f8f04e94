'use client';
// Provides the GraphQL client to every page, and hooks to query and subscribe with loading and error states.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  ApiUnreachableError,
  createGraphQLClient,
  type GraphQLClient,
  type OperationVariables,
} from './graphql-client';
import type { TypedDocument } from './typed-document';

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

export interface QueryState<Result> {
  readonly data: Result | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  /** Fetches again; the current data stays on screen meanwhile. */
  readonly refetch: () => void;
  /** Replaces the data locally, e.g. with a subscription's update. */
  readonly setData: (update: (previous: Result | undefined) => Result | undefined) => void;
}

export interface QueryOptions {
  /** Whether to wait: nothing is fetched while true. Default false. */
  readonly skip?: boolean;
  /** Milliseconds between the end of one fetch and the next; default none (fetch once). */
  readonly pollIntervalMs?: number;
}

/** Runs a query; retries on its own while the API is down, so pages recover when it comes back. */
export function useQuery<Result, Variables extends OperationVariables>(
  document: TypedDocument<Result, Variables>,
  variables: NoInfer<Variables>,
  { skip = false, pollIntervalMs }: QueryOptions = {},
): QueryState<Result> {
  const client = useApi();
  const [data, setData] = useState<Result | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(!skip);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    let active = true;
    let next: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      setLoading(true);
      client.request(document, JSON.parse(key) as Variables).then(
        (result) => {
          if (!active) return;
          setData(result);
          setError(undefined);
          setLoading(false);
          if (pollIntervalMs !== undefined) next = setTimeout(run, pollIntervalMs);
        },
        (failure: Error) => {
          if (!active) return;
          setError(failure);
          setLoading(false);
          if (failure instanceof ApiUnreachableError) next = setTimeout(run, RETRY_WHEN_DOWN_MS);
          else if (pollIntervalMs !== undefined) next = setTimeout(run, pollIntervalMs);
        },
      );
    };
    run();
    return () => {
      active = false;
      clearTimeout(next);
    };
  }, [client, document, key, skip, pollIntervalMs, generation]);
  const refetch = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, refetch, setData };
}

/** Subscribes while mounted; the handler always sees the latest render's closure. */
export function useSubscription<Result, Variables extends OperationVariables>(
  document: TypedDocument<Result, Variables>,
  variables: NoInfer<Variables>,
  onData: (data: Result) => void,
  skip = false,
): void {
  const client = useApi();
  const handler = useRef(onData);
  handler.current = onData;
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    return client.subscribe(document, JSON.parse(key) as Variables, {
      onData: (data) => handler.current(data),
    });
  }, [client, document, key, skip]);
}
