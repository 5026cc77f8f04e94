// GraphQL over WebSocket against a running API: the same limits and error codes as over HTTP, internal errors
// masked and logged once per cause, a cap on operations per connection, and nothing logged for clients that go away.
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startTestApi, type TestApi } from '../../test-support/test-api.js';
import { fragmentBomb } from '../../test-support/fragment-bomb.js';

let test: TestApi;
const clients: Client[] = [];
beforeAll(async () => {
  test = await startTestApi({ MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const client of clients.splice(0)) await client.dispose();
  test.logs.length = 0;
});
afterAll(async () => {
  await test.close();
});

function connect(): Client {
  const client = createClient({
    url: test.api.subscriptionsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
  });
  clients.push(client);
  return client;
}

/** The errors of one operation over WebSocket, whether they come as an `error` message or inside a result. */
function errorsOverWebSocket(client: Client, query: string, variables?: Record<string, unknown>) {
  return new Promise<readonly GraphQLFormattedError[]>((resolve, reject) => {
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) {
            unsubscribe();
            resolve(result.errors);
          }
        },
        error: (error) =>
          Array.isArray(error)
            ? resolve(error as GraphQLFormattedError[])
            : reject(new Error(`The connection failed: ${String(error)}`, { cause: error })),
        complete: () => resolve([]),
      },
    );
  });
}

async function errorsOverHttp(query: string, variables?: Record<string, unknown>) {
  return (await test.execute(query, variables)).errors ?? [];
}

describe('GraphQL over WebSocket', () => {
  it('refuses the 24-level fragment bomb in milliseconds, coded as over HTTP', async () => {
    const started = performance.now();
    const overWebSocket = await errorsOverWebSocket(connect(), fragmentBomb(24));
    const overHttp = await errorsOverHttp(fragmentBomb(24));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(overWebSocket).toHaveLength(1);
    expect(overWebSocket[0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(overWebSocket[0]!.message).toBe(overHttp[0]!.message);
    expect(overHttp[0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('codes parse, validation and variable errors as Apollo does over HTTP', async () => {
    const client = connect();
    const cases: [string, Record<string, unknown> | undefined, string][] = [
      ['{ system { version ', undefined, 'GRAPHQL_PARSE_FAILED'],
      [`{ ${'system { version } '.repeat(1_300)} }`, undefined, 'GRAPHQL_PARSE_FAILED'],
      ['{ system { noSuchField } }', undefined, 'GRAPHQL_VALIDATION_FAILED'],
      ['query($id: ID!) { run(id: $id) { id } }', { id: { not: 'an id' } }, 'BAD_USER_INPUT'],
      ['query($id: ID!) { run(id: $id) { id } }', {}, 'BAD_USER_INPUT'],
    ];
    for (const [query, variables, code] of cases) {
      const overWebSocket = await errorsOverWebSocket(client, query, variables);
      const overHttp = await errorsOverHttp(query, variables);
      expect({ query, codes: overWebSocket.map((error) => error.extensions?.code) }).toEqual({ query, codes: [code] });
      expect({ query, codes: overHttp.map((error) => error.extensions?.code) }).toEqual({ query, codes: [code] });
      expect(overWebSocket.map((error) => error.message)).toEqual(overHttp.map((error) => error.message));
    }
    expect(test.logs).toEqual([]);
  });

  it('masks internal errors over WebSocket and HTTP alike, and logs their cause once however often they recur', async () => {
    vi.spyOn(test.api.services.models, 'list').mockImplementation(() =>
      Promise.reject(new Error('connection to /var/lib/secret refused')),
    );
    const client = connect();
    for (let attempt = 0; attempt < 5; attempt++) {
      const overWebSocket = await errorsOverWebSocket(client, '{ models { id } }');
      const overHttp = await errorsOverHttp('{ models { id } }');
      for (const errors of [overWebSocket, overHttp]) {
        expect(errors).toEqual([
          { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' }, path: ['models'] },
        ]);
      }
    }
    expect(test.logs).toHaveLength(1);
    expect(test.logs[0]).toMatch(/^Internal error: Error: connection to \/var\/lib\/secret refused\n\s+at /);
  });

  it('refuses operations over MAX_SUBSCRIPTIONS_PER_CONNECTION on one connection, and only there', async () => {
    const client = connect();
    const received: string[] = [];
    const open = () =>
      new Promise<readonly GraphQLFormattedError[] | null>((resolve) => {
        const unsubscribe = client.subscribe(
          { query: 'subscription { runUpdated { id } }' },
          {
            next: () => received.push('event'),
            error: (error) => resolve(error as GraphQLFormattedError[]),
            complete: () => {},
          },
        );
        // Accepted subscriptions stay open: they resolve with null once the server has had time to refuse them.
        setTimeout(() => resolve(null), 300);
        unsubscribes.push(unsubscribe);
      });
    const unsubscribes: (() => void)[] = [];
    expect(await open()).toBeNull();
    expect(await open()).toBeNull();
    expect(await open()).toEqual([
      {
        message:
          'This connection has 2 operations open, the limit (MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one ' +
          'first, or open another connection.',
        extensions: { code: 'LIMIT_EXCEEDED' },
      },
    ]);
    // Another connection has its own allowance, and completing one frees a place.
    expect(await errorsOverWebSocket(connect(), '{ system { version } }')).toEqual([]);
    unsubscribes[0]!();
    expect(await open()).toBeNull();
  });

  it('logs nothing when clients drop their connections while events are sent to them', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const socket = new WebSocket(test.api.subscriptionsUrl, 'graphql-transport-ws');
        await new Promise((resolve) => socket.once('open', resolve));
        socket.send(JSON.stringify({ type: 'connection_init' }));
        await new Promise((resolve) => socket.once('message', resolve));
        socket.send(
          JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { runUpdated { id } }' } }),
        );
        return socket;
      }),
    );
    await vi.waitFor(() => expect(test.api.services.events.hasRunUpdatedListeners()).toBe(true));
    const run = await test.api.services.prisma.run.findFirst();
    // Each connection dropped without a close handshake, then events sent to all of them before the server notices.
    for (const socket of sockets) (socket as unknown as { _socket: { destroy(): void } })._socket.destroy();
    for (let event = 0; event < 50; event++) {
      test.api.services.events.publishRunUpdated(run ?? ({ id: 'no-run' } as never));
    }
    await vi.waitFor(() => expect(test.api.services.events.hasRunUpdatedListeners()).toBe(false));
    expect(test.logs).toEqual([]);
  });
});
