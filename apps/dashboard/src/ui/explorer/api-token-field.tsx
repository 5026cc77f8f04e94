'use client';
// Above the explorer: which API it talks to, whether that API needs a token for mutations, and the field for it.
import { ErrorMessage } from '../../components/states';
import type { QueryState } from '../../lib/api-context';
import type { ApiAccessQuery } from '../../generated/graphql';
import styles from './api-explorer.module.css';

export function ApiTokenField({
  url,
  settings,
  token,
  onTokenChange,
}: {
  url: string;
  settings: QueryState<ApiAccessQuery>;
  token: string;
  onTokenChange: (token: string) => void;
}) {
  if (settings.data === undefined) return settings.error ? <ErrorMessage error={settings.error} /> : null;
  const { mutationsRequireToken } = settings.data.system;
  return (
    <div className={styles.bar}>
      <span>
        Explores <code>{url}</code>.{' '}
        {mutationsRequireToken
          ? 'Its mutations need the API token (API_TOKEN); queries and subscriptions need none.'
          : 'Its mutations are open: the API has no API_TOKEN.'}
      </span>
      {mutationsRequireToken ? (
        // A form, so that the browser treats the password field as one (never submitted: Enter does nothing).
        <form className={styles.token} onSubmit={(event) => event.preventDefault()}>
          <label>
            API token{' '}
            <input
              type="password"
              name="apiToken"
              autoComplete="off"
              spellCheck={false}
              placeholder="sent as Authorization: Bearer …"
              value={token}
              onChange={(event) => onTokenChange(event.target.value)}
            />
          </label>
        </form>
      ) : null}
    </div>
  );
}
