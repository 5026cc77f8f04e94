// What a browser gets when someone opens the GraphQL endpoint's URL in it: a redirect to the dashboard's GraphQL
// explorer when the API knows where the dashboard is (DASHBOARD_URL, which `npm start` sets), otherwise a page that
// says what the URL is and where the explorer lives. Only a GET or HEAD without `query` that prefers HTML is such a
// visit (RFC 9110 content negotiation); every other request goes on to Apollo and its CSRF prevention.
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { CONFIG_DEFAULTS } from '../config.js';
import { hostName } from './allowed-host.js';

/** The dashboard route that serves the explorer. */
export const EXPLORER_PATH = '/explorer';

/** Media types a GraphQL client asks for; a browser visit prefers text/html to all of them. */
const GRAPHQL_MEDIA_TYPES = ['application/json', 'application/graphql-response+json', 'multipart/mixed'];

/** Host names that mean "every interface" in DASHBOARD_URL (`npm start` with HOST=0.0.0.0). */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]']);

const PAGE_STYLE =
  'body{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;line-height:1.5}' +
  'code{background:#eef2ff;padding:1px 4px;border-radius:4px}';
/** The pages' only allowed content is their own style sheet, pinned by its hash: no script, no image, no frame. */
export const EXPLORER_OFFER_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'; frame-ancestors 'none'`;

/** Whether the request is a browser opening the endpoint rather than a GraphQL request. */
export function isBrowserVisit(request: http.IncomingMessage, search: URLSearchParams): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    !search.has('query') &&
    prefersHtml(request.headers.accept)
  );
}

/**
 * Whether an Accept header ranks text/html above every GraphQL response type: Chromium's
 * `text/html,...,*\/*;q=0.8` does, `*\/*` (curl) and `application/json` do not.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const ranges = parseAccept(accept);
  const html = quality(ranges, 'text/html');
  return html > 0 && GRAPHQL_MEDIA_TYPES.every((type) => quality(ranges, type) < html);
}

/**
 * The explorer's URL under `dashboardUrl`. A dashboard on every interface (http://0.0.0.0:3000) is on this machine,
 * reached under the name the browser used for the API.
 */
export function explorerUrl(dashboardUrl: string, hostHeader: string | undefined): string {
  const url = new URL(dashboardUrl);
  url.pathname = `${url.pathname.replace(/\/$/, '')}${EXPLORER_PATH}`;
  if (WILDCARD_HOSTS.has(url.hostname) && hostHeader !== undefined) {
    const name = hostName(hostHeader);
    url.hostname = name.includes(':') ? `[${name}]` : name;
  }
  return url.href;
}

/**
 * Answers a browser visit: 303 to the explorer when `dashboardUrl` is known, else 200 with a page that explains.
 * Both are HTML that links the explorer, and vary with Accept, which is what made them HTML.
 */
export function sendExplorerOffer(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  dashboardUrl: string | null,
): void {
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': EXPLORER_OFFER_CSP,
    'cache-control': 'no-store',
    vary: [response.getHeader('vary'), 'accept'].filter(Boolean).join(', '),
  };
  let status: number;
  let body: string;
  if (dashboardUrl === null) {
    status = 200;
    body = unknownDashboardPage(request.headers.host);
  } else {
    const target = explorerUrl(dashboardUrl, request.headers.host);
    status = 303;
    body = page(
      `<p>The GraphQL explorer of this API is at <a href="${escapeHtml(target)}">${escapeHtml(target)}</a>.</p>`,
    );
    Object.assign(headers, { location: target });
  }
  response.writeHead(status, headers);
  response.end(request.method === 'HEAD' ? undefined : body);
}

function unknownDashboardPage(hostHeader: string | undefined): string {
  const guess = explorerUrl(`http://0.0.0.0:${CONFIG_DEFAULTS.dashboardPort}`, hostHeader ?? 'localhost');
  return page(
    '<p>This is the GraphQL endpoint of the ResNet Lab API. Programs send it queries and mutations as ' +
      '<code>POST</code> requests with <code>content-type: application/json</code>, and subscriptions over ' +
      'WebSocket (graphql-ws) at the same URL.</p>' +
      '<p>To explore it in a browser, with the schema&#39;s documentation and completion, open the dashboard&#39;s ' +
      `API explorer. <code>npm start</code> runs the API and the dashboard together and serves it at ` +
      `<a href="${escapeHtml(guess)}">${escapeHtml(guess)}</a>; its address then opens there by itself.</p>` +
      '<p>This API was started alone and does not know where a dashboard runs: set <code>DASHBOARD_URL</code> ' +
      '(e.g. <code>http://localhost:3000</code>) to send browsers to its explorer.</p>',
  );
}

function page(content: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>ResNet Lab GraphQL API</title><style>${PAGE_STYLE}</style></head>` +
    `<body><h1>ResNet Lab GraphQL API</h1>${content}</body></html>`
  );
}

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [mediaType = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const [type, subtype] = mediaType.split('/');
    if (!type || !subtype) continue;
    const qParameter = parameters.find((parameter) => parameter.startsWith('q='));
    const q = qParameter === undefined ? 1 : Number(qParameter.slice(2));
    ranges.push({ type, subtype, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges;
}

/** The quality of `mediaType` under the most specific range that matches it (RFC 9110 12.5.1); 0 when none does. */
function quality(ranges: readonly MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; q: number } = { specificity: -1, q: 0 };
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype
        ? 2
        : range.type === type && range.subtype === '*'
          ? 1
          : range.type === '*' && range.subtype === '*'
            ? 0
            : -1;
    if (specificity > best.specificity) best = { specificity, q: range.q };
  }
  return best.q;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
