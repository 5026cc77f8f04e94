'use client';
// A link that downloads a file from the API. Where the API needs its token for downloads, a plain link cannot send
// it (a navigation carries no headers of ours), so the click fetches the file with the token and saves what comes
// back, or says that the token is missing instead of opening the API's refusal.
import { useState, type ReactNode } from 'react';
import { useApi, useApiToken, useQuery } from '../../lib/api-context';
import { bearer } from '../../lib/api-token';
import { API_ACCESS } from '../../lib/documents';

const TOKEN_MISSING = 'Downloads need the API token: give it under API token needed at the top of the page.';

export function DownloadLink({ path, title, children }: { path: string; title?: string; children: ReactNode }) {
  const api = useApi();
  const [token] = useApiToken();
  // urql shares one request, and its cached answer, between every link on the page and the nav's token control.
  const access = useQuery(API_ACCESS, {});
  const needsToken = access.data?.system.mutationsRequireToken === true;
  const [failure, setFailure] = useState<string | null>(null);
  // The path is on the API's server, not the dashboard's.
  const href = new URL(path, api.url).href;
  return (
    <>
      <a
        href={href}
        download
        title={title}
        onClick={(event) => {
          if (!needsToken) return;
          event.preventDefault();
          if (!token) return setFailure(TOKEN_MISSING);
          setFailure(null);
          downloadWithToken(href, token).catch((error: Error) => setFailure(error.message));
        }}
      >
        {children}
      </a>
      {failure ? (
        <span className="field-error" role="alert">
          {' '}
          {failure}
        </span>
      ) : null}
    </>
  );
}

async function downloadWithToken(href: string, token: string): Promise<void> {
  const response = await fetch(href, { headers: { authorization: bearer(token) } });
  if (!response.ok) throw new Error(`The download failed (${response.status}): ${await refusal(response)}`);
  const file = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = file;
  link.download = fileName(response.headers.get('content-disposition')) ?? new URL(href).pathname.split('/').pop()!;
  link.click();
  // After the click has handed the file to the browser.
  setTimeout(() => URL.revokeObjectURL(file), 0);
}

/** What the API said about a refused download: its JSON `error`, or the body as it is. */
async function refusal(response: Response): Promise<string> {
  const body = await response.text();
  try {
    return (JSON.parse(body) as { error?: string }).error ?? body;
  } catch {
    return body;
  }
}

/** The file name of a `Content-Disposition: attachment; filename="..."` header, if it has one. */
function fileName(disposition: string | null): string | undefined {
  return disposition?.match(/filename="([^"]+)"/)?.[1];
}
