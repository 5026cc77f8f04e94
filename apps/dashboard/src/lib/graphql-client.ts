// The dashboard's only way to the API: GraphQL queries and mutations over HTTP, subscriptions over WebSocket
// (graphql-ws). Errors keep the API's `extensions` so forms can show field errors.
import { createClient, type Client } from 'graphql-ws';

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

export interface GraphQLClient {
  readonly url: string;
  request<Data>(query: string, variables?: Record<string, unknown>): Promise<Data>;
  /** Calls onData for each event until the returned function is called or the subscription ends. */
  subscribe<Data>(
    query: string,
    variables: Record<string, unknown>,
    handlers: { onData: (data: Data) => void; onError?: (error: Error) => void; onComplete?: () => void },
  ): () => void;
}

export function createGraphQLClient(url: string): GraphQLClient {
  let socket: Client | null = null;
  const sockets = () =>
    (socket ??= createClient({
      url: url.replace(/^http/, 'ws'),
      lazy: true,
      // Keep trying while the API is down: subscriptions come back with it.
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 2000)),
    }));
  return {
    url,
    async request<Data>(query: string, variables: Record<string, unknown> = {}) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
        });
      } catch (error) {
        throw new ApiUnreachableError(url, error);
      }
      let body: { data?: Data; errors?: GraphQLErrorPayload[] };
      try {
        body = (await response.json()) as typeof body;
      } catch (error) {
        throw new ApiUnreachableError(url, error);
      }
      if (body.errors?.length) throw new ApiError(body.errors);
      return body.data as Data;
    },
    subscribe<Data>(
      query: string,
      variables: Record<string, unknown>,
      handlers: { onData: (data: Data) => void; onError?: (error: Error) => void; onComplete?: () => void },
    ) {
      return sockets().subscribe<Data>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors?.length) handlers.onError?.(new ApiError(result.errors));
            else if (result.data) handlers.onData(result.data);
          },
          error: (error) => handlers.onError?.(error instanceof Error ? error : new Error(String(error))),
          complete: () => handlers.onComplete?.(),
        },
      );
    },
  };
}
