// The dashboard's only way to the API: GraphQL queries and mutations over HTTP, subscriptions over WebSocket
// (graphql-ws). Operations are typed documents (lib/documents.ts), so results and variables are checked against the
// API's schema. Errors keep the API's `extensions` so forms can show field errors.
import { createClient, type Client } from 'graphql-ws';
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

export interface SubscriptionHandlers<Result> {
  onData: (data: Result) => void;
  onError?: (error: Error) => void;
  onComplete?: () => void;
}

export interface GraphQLClient {
  /** The API's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  request<Result, Variables extends OperationVariables>(
    document: TypedDocument<Result, Variables>,
    variables: NoInfer<Variables>,
  ): Promise<Result>;
  /** Calls onData for each event until the returned function is called or the subscription ends. */
  subscribe<Result, Variables extends OperationVariables>(
    document: TypedDocument<Result, Variables>,
    variables: NoInfer<Variables>,
    handlers: SubscriptionHandlers<Result>,
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
    async request<Result, Variables extends OperationVariables>(
      document: TypedDocument<Result, Variables>,
      variables: Variables,
    ) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: document, variables }),
        });
      } catch (error) {
        throw new ApiUnreachableError(url, error);
      }
      let body: { data?: Result; errors?: GraphQLErrorPayload[] };
      try {
        body = (await response.json()) as typeof body;
      } catch (error) {
        throw new ApiUnreachableError(url, error);
      }
      if (body.errors?.length) throw new ApiError(body.errors);
      return body.data as Result;
    },
    subscribe<Result, Variables extends OperationVariables>(
      document: TypedDocument<Result, Variables>,
      variables: Variables,
      handlers: SubscriptionHandlers<Result>,
    ) {
      return sockets().subscribe<Result>(
        { query: document, variables },
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
