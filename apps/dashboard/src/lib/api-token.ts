// The API token (the API's API_TOKEN) a user types into the dashboard, kept for the browser tab's session: it goes
// out only as `Authorization: Bearer <token>` (or the WebSocket's `authorization` connection param), never in a URL,
// and is forgotten when the tab closes. ApiProvider (lib/api-context.tsx) owns it; pages read it with useApiToken.

const STORAGE_KEY = 'resnet-lab.api-token';

/** The token this tab was given, or '' (also on the server, which has no sessionStorage). */
export function readStoredToken(): string {
  return typeof sessionStorage === 'undefined' ? '' : (sessionStorage.getItem(STORAGE_KEY) ?? '');
}

/** Keeps `token` (trimmed) for this tab, or forgets it when empty; returns what was kept. */
export function storeToken(token: string): string {
  const trimmed = token.trim();
  if (trimmed === '') sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, trimmed);
  return trimmed;
}

/** The `Authorization` value the API expects for `token`. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}
