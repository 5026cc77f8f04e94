'use client';
// Provides the GraphQL client (urql) and the API token to every page, and hooks to query and subscribe with loading
// and error states. The hooks are urql's, with what every page wants on top: the dashboard's error types, retrying
// while the API is down, polling, and local updates from subscriptions.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  Provider as UrqlProvider,
  useQuery as useUrqlQuery,
  useSubscription as useUrqlSubscription,
  type CombinedError,
} from 'urql';
import { readStoredToken, storeToken } from './api-token';
import {
  ApiUnreachableError,
  createGraphQLClient,
  toDashboardError,
  type GraphQLClient,
  type OperationVariables,
} from './graphql-client';
import type { TypedDocument } from './typed-document';

interface ApiContextValue {
  readonly client: GraphQLClient;
  readonly token: string;
  readonly setToken: (token: string) => void;
}

const ApiContext = createContext<ApiContextValue | null>(null);

export function ApiProvider({ url, children }: { url: string; children: ReactNode }) {
  // Read after hydration: the server has no sessionStorage, and both renders must agree.
  const [token, setTokenState] = useState('');
  useEffect(() => setTokenState(readStoredToken()), []);
  const setToken = useCallback((next: string) => setTokenState(storeToken(next)), []);
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const client = useMemo(() => createGraphQLClient(url, () => tokenRef.current), [url]);
  useEffect(() => () => client.dispose(), [client]);
  const value = useMemo(() => ({ client, token, setToken }), [client, token, setToken]);
  return (
    <ApiContext.Provider value={value}>
      <UrqlProvider value={client.urql}>{children}</UrqlProvider>
    </ApiContext.Provider>
  );
}

function useApiContext(): ApiContextValue {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApi must be used inside <ApiProvider>.');
  return value;
}

export function useApi(): GraphQLClient {
  return useApiContext().client;
}

/** The API token this tab sends ('' when none) and its setter; the next request sends the new one. */
export function useApiToken(): [token: string, setToken: (token: string) => void] {
  const { token, setToken } = useApiContext();
  return [token, setToken];
}

/** How often a query is retried while the API cannot be reached. */
const RETRY_WHEN_DOWN_MS = 3000;

export interface QueryState<Result> {
  readonly data: Result | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  /** Fetches again; the current data stays on screen meanwhile. */
  readonly refetch: () => void;
  /** Replaces the data locally, e.g. with a subscription's update, until the API next answers. */
  readonly setData: (update: (previous: Result | undefined) => Result | undefined) => void;
}

export interface QueryOptions {
  /** Whether to wait: nothing is fetched while true. Default false. */
  readonly skip?: boolean;
  /** Milliseconds between the end of one fetch and the next; default none (fetch once). */
  readonly pollIntervalMs?: number;
}

/**
 * Runs a query: cached data at once where urql has it, then the API's answer. Retries on its own while the API is
 * down, so pages recover when it comes back.
 */
export function useQuery<Result, Variables extends OperationVariables>(
  document: TypedDocument<Result, Variables>,
  variables: NoInfer<Variables>,
  { skip = false, pollIntervalMs }: QueryOptions = {},
): QueryState<Result> {
  const { client } = useApiContext();
  const [state, reexecute] = useUrqlQuery<Result, Variables>({
    query: document,
    variables,
    // Nothing on the server: pages render their loading state there and fetch in the browser.
    pause: skip || typeof window === 'undefined',
    requestPolicy: 'cache-and-network',
  });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const error = useDashboardError(client.url, state.error);
  const { data, setData } = useLocalData(state.data);

  const waitMs =
    skip || state.fetching ? undefined : error instanceof ApiUnreachableError ? RETRY_WHEN_DOWN_MS : pollIntervalMs;
  useEffect(() => {
    if (waitMs === undefined) return;
    const next = setTimeout(refetch, waitMs);
    return () => clearTimeout(next);
  }, [waitMs, refetch, state.data, state.error]);

  return { data, error, loading: !skip && state.fetching, refetch, setData };
}

/** urql's error as ApiError or ApiUnreachableError, the same object for as long as urql's is. */
function useDashboardError(url: string, error: CombinedError | undefined): Error | undefined {
  return useMemo(() => (error ? toDashboardError(url, error) : undefined), [url, error]);
}

/** `fetched`, or what setData made of it until `fetched` changes (the API's newer answer wins). */
function useLocalData<Result>(fetched: Result | undefined) {
  const [local, setLocal] = useState<{ readonly base: Result | undefined; readonly value: Result | undefined }>();
  const fetchedRef = useRef(fetched);
  fetchedRef.current = fetched;
  const setData = useCallback((update: (previous: Result | undefined) => Result | undefined) => {
    setLocal((previous) => {
      const base = fetchedRef.current;
      const current = previous && previous.base === base ? previous.value : base;
      return { base, value: update(current) };
    });
  }, []);
  const data = local && local.base === fetched ? local.value : fetched;
  return { data, setData };
}

/** Subscribes while mounted; the handler always sees the latest render's closure. */
export function useSubscription<Result, Variables extends OperationVariables>(
  document: TypedDocument<Result, Variables>,
  variables: NoInfer<Variables>,
  onData: (data: Result) => void,
  skip = false,
): void {
  const handler = useRef(onData);
  handler.current = onData;
  const handle = useCallback((_previous: Result | undefined, data: Result) => {
    handler.current(data);
    return data;
  }, []);
  useUrqlSubscription<Result, Result, Variables>(
    { query: document, variables, pause: skip || typeof window === 'undefined' },
    handle,
  );
}
