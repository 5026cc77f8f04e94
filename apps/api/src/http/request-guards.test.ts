// The API as a web page on another site, a DNS-rebound name and a client with too many sockets would reach it: plain
// HTTP requests and WebSocket upgrades with the Host and Origin headers a browser would send.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApi, type TestApi } from '../../test-support/test-api.js';

const CREATE_MODEL = JSON.stringify({
  query: 'mutation { createModel(input: { name: "m", arch: "resnet18" }) { name } }',
});
const EVIL = 'https://evil.example';
const DASHBOARD_ORIGINS = 'http://localhost:3000, http://127.0.0.1:3000, http://[::1]:3000';
const SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An HTTP request with exactly the given headers (fetch would not send a Host of our choosing). */
function send(
  url: string,
  request: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: string },
) {
  const target = new URL(request.path ?? '', url);
  return new Promise<Answer>((resolve, reject) => {
    const outgoing = http.request(target, { method: request.method ?? 'GET', headers: request.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

function postGraphQL(test: TestApi, headers: http.OutgoingHttpHeaders): Promise<Answer> {
  return send(test.api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: CREATE_MODEL,
  });
}

/** A WebSocket upgrade: status 101 and the open socket, or the status and body of the refusal. */
function upgrade(
  test: TestApi,
  headers: Record<string, string> = {},
): Promise<{ status: number; body?: string; socket?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(test.api.subscriptionsUrl, 'graphql-transport-ws', { headers });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode!, body });
      });
    });
    socket.once('error', reject);
  });
}

/** Opens a graphql-ws connection on `socket` and runs `{ __typename }` over it. */
async function typenameOver(socket: WebSocket): Promise<unknown[]> {
  const messages: unknown[] = [];
  const done = new Promise<void>((resolve) =>
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { type: string };
      messages.push(message);
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } }));
      }
      if (message.type === 'complete') resolve();
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await done;
  return messages;
}

function refusal(message: string, code = 'FORBIDDEN'): unknown {
  return { errors: [{ message, extensions: { code } }] };
}

function pickSecurityHeaders(headers: http.IncomingHttpHeaders): Record<string, unknown> {
  return Object.fromEntries(Object.keys(SECURITY_HEADERS).map((name) => [name, headers[name]]));
}

describe('with the default configuration', () => {
  let test: TestApi;
  beforeAll(async () => {
    test = await startTestApi();
  });
  afterAll(async () => {
    await test.close();
  });

  const evilOrigin = refusal(
    `Origin '${EVIL}' may not call this API: it allows ${DASHBOARD_ORIGINS}, so that other web pages the user ` +
      'visits cannot drive it. To let pages of that origin use it, add it to CORS_ORIGINS.',
  );
  const evilHost = refusal(
    "Host 'evil.example:4000' is not allowed: the API answers only localhost, 127.0.0.1, ::1 and its own IP " +
      'addresses, so that a web page cannot reach it under a name of its own (DNS rebinding). To reach it as ' +
      'evil.example, add that name to ALLOWED_HOSTS.',
  );

  it("refuses another site's preflight and mutation with 403 and no CORS headers, and creates nothing", async () => {
    const preflight = await send(test.api.url, {
      method: 'OPTIONS',
      headers: {
        origin: EVIL,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(preflight.body)).toEqual(evilOrigin);

    const mutation = await postGraphQL(test, { origin: EVIL });
    expect(mutation.status).toBe(403);
    expect(mutation.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(mutation.body)).toEqual(evilOrigin);
    expect(await test.execute('{ models { name } }')).toEqual({ data: { models: [] }, errors: undefined });
  });

  it("answers the dashboard's origins, and clients that send no Origin", async () => {
    const preflight = await send(test.api.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000');

    const fromDashboard = await postGraphQL(test, { origin: 'http://127.0.0.1:3000' });
    expect(fromDashboard.status).toBe(200);
    expect(fromDashboard.headers['access-control-allow-origin']).toBe('http://127.0.0.1:3000');
    // So that the dashboard can name a file it downloaded with the token.
    expect(fromDashboard.headers['access-control-expose-headers']).toBe('content-disposition');
    expect(JSON.parse(fromDashboard.body)).toEqual({ data: { createModel: { name: 'm' } } });

    const withoutOrigin = await send(test.api.url, { path: '/healthz' });
    expect(withoutOrigin.status).toBe(200);
  });

  it('refuses a Host it is not known by (DNS rebinding) over HTTP and WebSocket, whatever the case or port', async () => {
    for (const path of ['/healthz', '/graphql']) {
      const answer = await send(test.api.url, { path, headers: { host: 'evil.example:4000' } });
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toEqual(evilHost);
    }
    expect(await upgrade(test, { host: 'evil.example:4000' })).toEqual({ status: 403, body: JSON.stringify(evilHost) });

    for (const host of ['LocalHost:1234', '127.0.0.1', '[::1]:4000', 'localhost.']) {
      expect((await send(test.api.url, { path: '/healthz', headers: { host } })).status, host).toBe(200);
    }
  });

  it("refuses WebSocket upgrades from another site's page, and accepts the dashboard's and non-browser ones", async () => {
    expect(await upgrade(test, { origin: EVIL })).toEqual({ status: 403, body: JSON.stringify(evilOrigin) });

    for (const headers of [{ origin: 'http://localhost:3000' }, {}] as Record<string, string>[]) {
      const opened = await upgrade(test, headers);
      expect(opened.status).toBe(101);
      expect(await typenameOver(opened.socket!)).toEqual([
        { type: 'connection_ack' },
        { id: '1', type: 'next', payload: { data: { __typename: 'Query' } } },
        { id: '1', type: 'complete' },
      ]);
      opened.socket!.close();
    }
  });

  it('sends the security headers with every answer: GraphQL, health, 404, preflight and refusals', async () => {
    const answers = [
      await send(test.api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ models { name } }' }),
      }),
      await send(test.api.url, { path: '/healthz' }),
      await send(test.api.url, { path: '/nothing-here' }),
      await send(test.api.url, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
      }),
      await send(test.api.url, { path: '/healthz', headers: { host: 'evil.example' } }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 404, 204, 403]);
    for (const answer of answers) expect(pickSecurityHeaders(answer.headers)).toEqual(SECURITY_HEADERS);
  });
});

describe('with ALLOWED_HOSTS and MAX_CONNECTIONS_PER_CLIENT', () => {
  let test: TestApi;
  beforeAll(async () => {
    test = await startTestApi({ ALLOWED_HOSTS: 'lab.example.com, *.lab.internal', MAX_CONNECTIONS_PER_CLIENT: '3' });
  });
  afterAll(async () => {
    await test.close();
  });

  it('answers the names ALLOWED_HOSTS adds, and subdomains of a *. entry only', async () => {
    const statuses: Record<string, number> = {};
    for (const host of ['lab.example.com:4000', 'gpu.lab.internal', 'lab.internal', 'evil.example', 'localhost']) {
      statuses[host] = (await send(test.api.url, { path: '/healthz', headers: { host } })).status;
    }
    expect(statuses).toEqual({
      'lab.example.com:4000': 200,
      'gpu.lab.internal': 200,
      'lab.internal': 403,
      'evil.example': 403,
      localhost: 200,
    });
  });

  it('refuses a client address its 4th WebSocket with 429 while its 3 others keep working', async () => {
    const opened = await Promise.all([upgrade(test), upgrade(test), upgrade(test)]);
    expect(opened.map((answer) => answer.status)).toEqual([101, 101, 101]);
    const sockets = opened.map((answer) => answer.socket!);

    expect(await upgrade(test)).toEqual({
      status: 429,
      body: JSON.stringify(
        refusal(
          '127.0.0.1 already holds 3 WebSocket connections to this API, the most one client address may hold at ' +
            'once (MAX_CONNECTIONS_PER_CLIENT). Close one, or run several subscriptions over one connection.',
          'LIMIT_EXCEEDED',
        ),
      ),
    });
    for (const socket of sockets) expect((await typenameOver(socket)).length).toBe(3);

    // A closed connection gives its place back (once the server has seen the close: tried until then).
    const closed = new Promise((resolve) => sockets[0]!.once('close', resolve));
    sockets[0]!.close();
    await closed;
    let next = await upgrade(test);
    for (let attempt = 1; next.status === 429 && attempt < 100; attempt++) next = await upgrade(test);
    expect(next.status).toBe(101);
    for (const socket of [...sockets.slice(1), next.socket!]) socket.close();
  });
});
