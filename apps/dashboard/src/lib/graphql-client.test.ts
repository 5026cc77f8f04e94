// The dashboard's client against a stand-in API over real HTTP: mutations go as POST with the token of the moment,
// the API's errors keep their codes and fields, and a refused connection reads as "cannot reach".
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, ApiUnreachableError, createGraphQLClient } from './graphql-client';
import { typedDocument } from './typed-document';

interface Received {
  readonly method: string | undefined;
  readonly authorization: string | undefined;
  readonly body: { query: string; variables: Record<string, unknown> };
}

const CREATE = typedDocument<{ createModel: { name: string } }, { name: string }>(
  'mutation Create($name: String!) { createModel(input: { name: $name }) { name } }',
);

let server: http.Server;
let url = '';
const received: Received[] = [];
/** What the stand-in answers next, by model name. */
const answers: Record<string, { status: number; body: unknown }> = {
  ok: { status: 200, body: { data: { createModel: { __typename: 'Model', name: 'ok' } } } },
  taken: {
    status: 200,
    body: {
      data: null,
      errors: [
        { message: "A model named 'taken' exists.", extensions: { code: 'CONFLICT', field: 'name' } },
        { message: 'Second error.', extensions: { code: 'CONFLICT' } },
      ],
    },
  },
  refused: {
    status: 401,
    body: { data: null, errors: [{ message: 'Mutations need a token.', extensions: { code: 'UNAUTHENTICATED' } }] },
  },
};

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const body = JSON.parse(text) as Received['body'];
      received.push({ method: request.method, authorization: request.headers.authorization, body });
      const answer = answers[body.variables.name as string]!;
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('createGraphQLClient', () => {
  it('posts mutations with the token of the moment, and none while there is none', async () => {
    let token = '';
    const client = createGraphQLClient(url, () => token);
    received.length = 0;
    await expect(client.mutate(CREATE, { name: 'ok' })).resolves.toEqual({
      createModel: { __typename: 'Model', name: 'ok' },
    });
    token = 'secret-token';
    await client.mutate(CREATE, { name: 'ok' });
    expect(received.map(({ method, authorization }) => [method, authorization])).toEqual([
      ['POST', undefined],
      ['POST', 'Bearer secret-token'],
    ]);
    // urql asks for __typename (its cache invalidates by type); the variables go as given.
    expect(received[1]!.body.variables).toEqual({ name: 'ok' });
    expect(received[1]!.body.query.replace(/\s+/g, ' ').trim()).toBe(
      'mutation Create($name: String!) { createModel(input: {name: $name}) { name __typename } }',
    );
    client.dispose();
  });

  it('throws the API’s errors as ApiError, with their codes and fields, also on a 401', async () => {
    const client = createGraphQLClient(url, () => '');
    const taken = await client.mutate(CREATE, { name: 'taken' }).catch((error: unknown) => error);
    expect(taken).toBeInstanceOf(ApiError);
    expect([(taken as ApiError).message, (taken as ApiError).code, (taken as ApiError).fieldErrors]).toEqual([
      "A model named 'taken' exists.\nSecond error.",
      'CONFLICT',
      { name: "A model named 'taken' exists." },
    ]);
    const refused = await client.mutate(CREATE, { name: 'refused' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect([(refused as ApiError).message, (refused as ApiError).code]).toEqual([
      'Mutations need a token.',
      'UNAUTHENTICATED',
    ]);
    client.dispose();
  });

  it('says it cannot reach the API when nothing listens at the URL', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/graphql`;
    await new Promise((resolve) => closed.close(resolve));
    const client = createGraphQLClient(deadUrl, () => '');
    const failure = await client.mutate(CREATE, { name: 'ok' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiUnreachableError);
    expect((failure as Error).message).toBe(`Cannot reach the API at ${deadUrl}: fetch failed`);
    client.dispose();
  });
});
