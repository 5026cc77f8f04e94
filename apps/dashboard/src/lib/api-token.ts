'use client';
// The API token (the API's API_TOKEN) a user types into the dashboard, kept for the browser tab's session: it goes
// out only as `Authorization: Bearer <token>` (or the WebSocket's `authorization` connection param), never in a URL,
// and is forgotten when the tab closes.
import { useCallback, useState } from 'react';

const STORAGE_KEY = 'resnet-lab.api-token';

/** The token and its setter; for components rendered in the browser only (it reads sessionStorage at once). */
export function useApiToken(): [token: string, setToken: (token: string) => void] {
  const [token, setState] = useState(() => sessionStorage.getItem(STORAGE_KEY) ?? '');
  const setToken = useCallback((next: string) => {
    const trimmed = next.trim();
    if (trimmed === '') sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, trimmed);
    setState(trimmed);
  }, []);
  return [token, setToken];
}

/** The `Authorization` value the API expects for `token`. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}
