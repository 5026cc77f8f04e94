// A browser that opens the GraphQL URL is offered the dashboard's explorer; every other request without a CSRF-safe
// header is still refused by Apollo's CSRF prevention, as before the offer existed.
import http from 'node:http';
import { getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../test-support/test-api.js';
import { EXPLORER_OFFER_CSP, explorerUrl, prefersHtml } from './explorer-offer.js';

/** What Chromium sends when it navigates to a URL. */
const CHROMIUM_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,' +
  'application/signed-exchange;v=b3;q=0.7';
const CSRF_REFUSAL = {
  errors: [
    {
      message:
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a 'content-type' header (with a type that is not one of application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty value for one of the following headers: x-apollo-operation-name, apollo-require-preflight\n",
      extensions: { code: 'BAD_REQUEST' },
    },
  ],
};

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An HTTP request with exactly the given headers (fetch adds its own Accept and cannot send a Host of our choosing). */
function send(
  url: string,
  request: { method?: string; search?: string; headers?: http.OutgoingHttpHeaders; body?: string },
): Promise<Answer> {
  const target = new URL(url);
  target.search = request.search ?? '';
  return new Promise((resolve, reject) => {
    const outgoing = http.request(target, { method: request.method ?? 'GET', headers: request.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

function links(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!);
}

describe('prefersHtml', () => {
  it('is true for browsers navigating, false for GraphQL clients and for */*', () => {
    expect(prefersHtml(CHROMIUM_ACCEPT)).toBe(true);
    expect(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml('text/*')).toBe(true);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('application/graphql-response+json, application/json;q=0.9')).toBe(false);
    expect(prefersHtml('text/html;q=0.5, application/json')).toBe(false);
    expect(prefersHtml('text/html, application/json')).toBe(false);
    expect(prefersHtml('text/html;q=0, */*')).toBe(false);
  });
});

describe('explorerUrl', () => {
  it("appends /explorer to DASHBOARD_URL's path, and names a dashboard on every interface as the browser named the API", () => {
    expect(explorerUrl('http://localhost:3000/', '127.0.0.1:4000')).toBe('http://localhost:3000/explorer');
    expect(explorerUrl('https://lab.example.com/dashboard/', 'api.example.com')).toBe(
      'https://lab.example.com/dashboard/explorer',
    );
    expect(explorerUrl('http://0.0.0.0:3000/', 'Lab.Local:4000')).toBe('http://lab.local:3000/explorer');
    expect(explorerUrl('http://[::]:3000/', '[::1]:4000')).toBe('http://[::1]:3000/explorer');
    expect(explorerUrl('http://0.0.0.0:3000/', undefined)).toBe('http://0.0.0.0:3000/explorer');
  });
});

describe('the GraphQL URL opened in a browser', () => {
  let withDashboard: TestApi;
  let alone: TestApi;
  beforeAll(async () => {
    [withDashboard, alone] = await Promise.all([
      startTestApi({ DASHBOARD_URL: 'http://0.0.0.0:3100' }),
      startTestApi(),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([withDashboard?.close(), alone?.close()]);
  });

  it('is sent to the explorer of DASHBOARD_URL, on the host name the browser used', async () => {
    const port = new URL(withDashboard.api.url).port;
    const answer = await send(withDashboard.api.url, {
      headers: { accept: CHROMIUM_ACCEPT, host: `localhost:${port}` },
    });
    expect(answer.status).toBe(303);
    expect(answer.headers).toMatchObject({
      location: 'http://localhost:3100/explorer',
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': EXPLORER_OFFER_CSP,
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      vary: 'accept',
    });
    expect(links(answer.body)).toEqual(['http://localhost:3100/explorer']);
    const head = await send(withDashboard.api.url, { method: 'HEAD', headers: { accept: CHROMIUM_ACCEPT } });
    expect([head.status, head.headers.location, head.body]).toEqual([303, 'http://127.0.0.1:3100/explorer', '']);
  });

  it('gets a page that explains, and links the default explorer, when the API does not know of a dashboard', async () => {
    const answer = await send(alone.api.url, { headers: { accept: CHROMIUM_ACCEPT } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['content-security-policy']).toBe(EXPLORER_OFFER_CSP);
    expect(answer.body).toContain('This API was started alone and does not know where a dashboard runs');
    expect(links(answer.body)).toEqual(['http://127.0.0.1:3000/explorer']);
  });

  it('keeps refusing every other request without a CSRF-safe header, HTML-accepting or not', async () => {
    const url = withDashboard.api.url;
    const refused = [
      await send(url, {}),
      await send(url, { headers: { accept: '*/*' } }),
      await send(url, { headers: { accept: 'application/json' } }),
      // A browser visit that carries an operation is a GraphQL GET, and a cross-site page could make it.
      await send(url, {
        search: `?query=${encodeURIComponent('{ system { version } }')}`,
        headers: { accept: CHROMIUM_ACCEPT },
      }),
      await send(url, {
        method: 'POST',
        headers: { accept: CHROMIUM_ACCEPT, 'content-type': 'text/plain' },
        body: '{"query":"{ system { version } }"}',
      }),
    ];
    for (const answer of refused) {
      expect([answer.status, answer.headers['content-type'], JSON.parse(answer.body)]).toEqual([
        400,
        'application/json; charset=utf-8',
        CSRF_REFUSAL,
      ]);
    }
    // A GraphQL client's POST is answered as always.
    const post = await send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ system { mutationsRequireToken } }"}',
    });
    expect([post.status, JSON.parse(post.body)]).toEqual([200, { data: { system: { mutationsRequireToken: false } } }]);
  });

  it("answers the explorer's introspection query (GraphiQL 5's) within the query limits", async () => {
    const query = getIntrospectionQuery({ inputValueDeprecation: false, schemaDescription: false });
    const { data, errors } = await withDashboard.execute<IntrospectionQuery>(query);
    expect(errors).toBeUndefined();
    expect([
      data!.__schema.queryType.name,
      data!.__schema.mutationType?.name,
      data!.__schema.subscriptionType?.name,
    ]).toEqual(['Query', 'Mutation', 'Subscription']);
  });
});
