'use client';
// Loading, empty and error states, the same on every page.
import { ApiError, ApiUnreachableError } from '../lib/graphql-client';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <div className="state empty">{children}</div>;
}

export function ErrorMessage({ error }: { error: Error }) {
  if (error instanceof ApiUnreachableError) {
    return (
      <div className="state error" role="alert" data-testid="api-down">
        <strong>The API is not reachable.</strong> {error.message}. Retrying every few seconds; this page recovers by
        itself when the API is back (start it with <code>npm start</code>).
      </div>
    );
  }
  if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
    return (
      <div className="state error" role="alert" data-testid="api-token-needed">
        {error.message} Give the dashboard the API token under <strong>API token needed</strong> at the top of the page.
      </div>
    );
  }
  return (
    <div className="state error" role="alert">
      {error.message}
    </div>
  );
}

/** Data, or the state that stands in for it. */
export function QueryView<Data>({
  state,
  what,
  children,
}: {
  state: { data: Data | undefined; error: Error | undefined; loading: boolean };
  what: string;
  children: (data: Data) => React.ReactNode;
}) {
  if (state.data === undefined) {
    if (state.error) return <ErrorMessage error={state.error} />;
    return <Loading what={what} />;
  }
  return (
    <>
      {state.error ? <ErrorMessage error={state.error} /> : null}
      {children(state.data)}
    </>
  );
}
