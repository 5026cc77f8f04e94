// One GraphQL operation over HTTP, as the dashboard sends it: a JSON POST to /graphql (which passes Apollo's CSRF
// check), answered with data or an error that quotes what the server said.

/** Longest wait for one response; a benchmark request that takes longer is a failure, not a figure. */
const REQUEST_TIMEOUT_MS = 30_000;

export class GraphQLRequestError extends Error {
  override readonly name = 'GraphQLRequestError';
}

/**
 * The operation's `data`; rejects on an HTTP error, a GraphQL error or a timeout (`timeoutMs`, default 30 s: a long
 * operation such as evaluateCheckpoint over thousands of images gives its own).
 */
export async function postGraphQL<Data>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  { timeoutMs = REQUEST_TIMEOUT_MS }: { readonly timeoutMs?: number } = {},
): Promise<Data> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let body: { data?: Data | null; errors?: readonly { message: string }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch (error) {
    throw new GraphQLRequestError(
      `Expected a JSON GraphQL response from ${url} but got HTTP ${response.status}: ${text.slice(0, 200)}`,
      {
        cause: error,
      },
    );
  }
  if (body.errors?.length || !body.data) {
    throw new GraphQLRequestError(
      `Expected data from ${url} but got HTTP ${response.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`,
    );
  }
  return body.data;
}
