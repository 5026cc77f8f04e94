'use client';
// In the nav, where the API needs its token (API_TOKEN) for mutations and downloads: whether this tab has one, and
// a field to give or forget it. Queries and live updates need no token, so the control stays out of the way otherwise.
import { useState } from 'react';
import { useApiToken, useQuery } from '../../lib/api-context';
import { API_ACCESS } from '../../lib/documents';

export function ApiTokenControl() {
  const access = useQuery(API_ACCESS, {});
  const [token, setToken] = useApiToken();
  const [draft, setDraft] = useState('');
  if (!access.data?.system.mutationsRequireToken) return null;
  return (
    <details className="api-token" data-testid="api-token">
      <summary>{token ? 'API token set' : 'API token needed'}</summary>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setToken(draft);
          setDraft('');
        }}
      >
        <label>
          API token{' '}
          <input
            type="password"
            name="dashboardApiToken"
            autoComplete="off"
            spellCheck={false}
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>{' '}
        <button type="submit" disabled={draft.trim() === ''}>
          Use
        </button>{' '}
        {token ? (
          <button type="button" onClick={() => setToken('')}>
            Forget
          </button>
        ) : null}
        <p>
          Changes and downloads need the API&apos;s API_TOKEN; browsing and live updates do not. It is kept for this tab
          only and sent as a header, never in a URL.
        </p>
      </form>
    </details>
  );
}
