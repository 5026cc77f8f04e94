// The dashboard's only way to the API: urql's client, with its document cache, queries and mutations over HTTP and
// subscriptions over WebSocket (graphql-ws). Operations are typed documents (lib/documents.ts), so results and
// variables are checked against the API's schema. Errors keep the API's `extensions` so forms can show field errors,
// and every request carries the API token when the user has given one.
import { cacheExchange, Client, fetchExchange, subscriptionExchange, type CombinedError } from '@urql/core';
import { createClient as createSocketClient, type Client as SocketClient } from 'graphql-ws';
import { bearer } from './api-token';
import type { TypedDocument } from './typed-document';

export interface GraphQLErrorPayload {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly field?: string; readonly [key: string]: unknown };
}

/** The API answered with errors. */
export class ApiError extends Error {
  constructor(readonly errors: readonly GraphQLErrorPayload[]) {
    super(errors.map((error) => error.message).join('\n'));
    this.name = 'ApiError';
  }

  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }

  /** Messages of errors that name an input field, by field. */
  get fieldErrors(): Record<string, string> {
    const byField: Record<string, string> = {};
    for (const error of this.errors) {
      const field = error.extensions?.field;
      if (typeof field === 'string') byField[field] = error.message;
    }
    return byField;
  }
}

/** The API could not be reached at all (down, wrong URL, network). */
export class ApiUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`Cannot reach the API at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ApiUnreachableError';
  }
}

/** An operation's variables: any JSON object, as the generated `...Variables` types are. */
export type OperationVariables = Record<string, unknown>;

export interface GraphQLClient {
  /** The API's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  /** The urql client under it, for urql's hooks (lib/api-context.tsx). */
  readonly urql: Client;
  /** Runs a mutation; throws ApiError or ApiUnreachableError. Queries go through useQuery (lib/api-context.tsx). */
  mutate<Result, Variables extends OperationVariables>(
    document: TypedDocument<Result, Variables>,
    variables: NoInfer<Variables>,
  ): Promise<Result>;
  /** Closes the WebSocket, if one was opened. */
  dispose(): void;
}

/** How long the WebSocket waits before reconnecting while the API is down: subscriptions come back with it. */
const RECONNECT_MS = 2000;

/**
 * A client for the API at `url`. `token()` is read for every request, so a new token applies at once, and for every
 * WebSocket connection (the API needs none for subscriptions, the only operations sent there).
 */
export function createGraphQLClient(url: string, token: () => string): GraphQLClient {
  const authorization = (): Record<string, string> => {
    const value = token();
    return value ? { authorization: bearer(value) } : {};
  };
  let socket: SocketClient | null = null;
  const sockets = () =>
    (socket ??= createSocketClient({
      url: url.replace(/^http/, 'ws'),
      lazy: true,
      connectionParams: authorization,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, RECONNECT_MS)),
    }));
  const urql = new Client({
    url,
    // POST only: the API refuses GET operations (CSRF protection) and sends browsers that GET it to the explorer.
    preferGetMethod: false,
    fetchOptions: () => ({ headers: authorization() }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: sockets().subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return {
    url,
    urql,
    async mutate<Result, Variables extends OperationVariables>(
      document: TypedDocument<Result, Variables>,
      variables: Variables,
    ) {
      const result = await urql.mutation<Result, Variables>(document, variables).toPromise();
      if (result.error) throw toDashboardError(url, result.error);
      return result.data as Result;
    },
    dispose() {
      void socket?.dispose();
    },
  };
}

/** urql's error as the dashboard's: unreachable when the network failed, else the API's own errors. */
export function toDashboardError(url: string, error: CombinedError): ApiError | ApiUnreachableError {
  if (error.networkError) return new ApiUnreachableError(url, error.networkError);
  return new ApiError(
    error.graphQLErrors.map((graphQLError) => ({
      message: graphQLError.message,
      extensions: graphQLError.extensions,
    })),
  );
}
