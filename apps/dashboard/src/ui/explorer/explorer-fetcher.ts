// GraphiQL's fetcher for the ResNet Lab API: the toolkit's fetcher (queries and mutations over HTTP, with the headers
// editor's headers; subscriptions over graphql-ws on the same URL), with the API token when one is set.
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { parse, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { bearer } from '../../lib/api-token';

export interface ExplorerFetcher {
  readonly fetcher: Fetcher;
  /** Closes the WebSocket, if one was opened. */
  dispose(): void;
}

/** `token` is read for every operation, so that a new token applies without a new fetcher (and a new introspection). */
export function createExplorerFetcher(url: string, token: () => string): ExplorerFetcher {
  let current: { readonly token: string; readonly socket: Client; readonly fetcher: Fetcher } | null = null;
  // The token travels once per WebSocket, in its connection params: a new token needs a new socket.
  const fetcherForToken = (): Fetcher => {
    const value = token();
    if (current?.token !== value) {
      void current?.socket.dispose();
      const socket = createClient({
        url: url.replace(/^http/, 'ws'),
        lazy: true,
        connectionParams: value ? { authorization: bearer(value) } : {},
      });
      const fetcher = createGraphiQLFetcher({
        url,
        wsClient: socket,
        // The API has no incremental delivery (@defer): plain JSON responses.
        enableIncrementalDelivery: false,
        fetch: (input, init) => fetch(input, { ...init, headers: withToken(init?.headers, value) }),
      });
      current = { token: value, socket, fetcher };
    }
    return current.fetcher;
  };
  return {
    // The toolkit sends subscriptions over the WebSocket when the document says so; GraphiQL's own document is up to
    // 100 ms behind the editor, so a subscription run at once would go over HTTP (and be refused there).
    fetcher: (params, options) =>
      fetcherForToken()(params, { ...options, documentAST: parseOrUndefined(params.query) }),
    dispose: () => void current?.socket.dispose(),
  };
}

/** The request's headers with the token's, unless the headers editor sets Authorization itself. */
function withToken(headers: HeadersInit | undefined, token: string): Headers {
  const merged = new Headers(headers);
  if (token && !merged.has('authorization')) merged.set('authorization', bearer(token));
  return merged;
}

/** The operation's document, or undefined when it does not parse (the API then says why). */
function parseOrUndefined(query: string): DocumentNode | undefined {
  try {
    return parse(query);
  } catch {
    return undefined;
  }
}
