// Property-based fuzzing of the whole GraphQL API, over HTTP and WebSocket: every query, mutation and subscription
// field of the schema (read from the running API by introspection, so new fields are fuzzed without editing this
// file) called with generated arguments, well and badly typed, NUL bytes, huge numbers and strings, paths outside the
// allowed roots, and ids of rows that exist; plus generated documents: deep, wide, aliased, fragment bombs, garbage.
// Every answer must be data or coded errors a client can act on, never INTERNAL_SERVER_ERROR, and the server must
// answer a health query within 100 ms afterwards.
import { fragmentBomb, startTestApi, type TestApi } from '@resnet-lab/api/test-support';
import fc from 'fast-check';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

/** Codes of errors a client caused and can correct. Anything else, INTERNAL_SERVER_ERROR above all, is a finding. */
const CLIENT_CODES = [
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'LIMIT_EXCEEDED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
];

interface Answer {
  readonly data?: unknown;
  readonly errors?: readonly { message: string; extensions?: { code?: unknown } }[];
}

interface Operation {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
}

let test: TestApi;
let schema: GraphQLSchema;
let client: Client;
/** Ids and names of rows that exist, so that generated arguments reach past the NOT_FOUND checks. */
const known = {
  ids: [] as string[],
  names: ['tiny', 'synthetic', 'cifar10', 'production', 'resnet18', 'resnet152', 'imagenet', 'cifar', 'cosine', 'auto'],
};

beforeAll(async () => {
  test = await startTestApi({ MAX_IMAGE_BYTES: '4096', MAX_BODY_BYTES: '65536' });
  schema = buildClientSchema((await overHttp({ query: getIntrospectionQuery() })).data as IntrospectionQuery);
  client = createClient({ url: test.api.subscriptionsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const model = await overHttp({
    query: 'mutation { createModel(input: { name: "tiny", arch: "resnet18", width: 0.0625 }) { id } }',
  });
  const run = await overHttp({
    query: 'mutation { startRun(input: { modelName: "tiny", datasetName: "synthetic", epochs: 1 }) { id } }',
  });
  const datasets = await overHttp({ query: '{ datasets { id } }' });
  known.ids.push(
    (model.data as { createModel: { id: string } }).createModel.id,
    (run.data as { startRun: { id: string } }).startRun.id,
    ...(datasets.data as { datasets: { id: string }[] }).datasets.map((dataset) => dataset.id),
  );
});

afterAll(async () => {
  await client?.dispose();
  await test?.close();
});

async function overHttp(operation: Operation): Promise<Answer> {
  const response = await fetch(test.api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(operation),
  });
  return (await response.json()) as Answer;
}

/** The first result or the errors of an operation over WebSocket; an open subscription is ended after 100 ms. */
function overWebSocket(operation: Operation): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(answer);
    };
    const unsubscribe = client.subscribe(operation, {
      next: (result) => settle(result as Answer),
      error: (error) => {
        if (Array.isArray(error)) return settle({ errors: error as Answer['errors'] });
        // A message over MAX_BODY_BYTES closes the connection with 1009 (Message Too Big), as WebSocket defines;
        // the client connects again for the next operation.
        if ((error as { code?: unknown }).code === 1009) return settle({ data: null });
        reject(error instanceof Error ? error : new Error(`WebSocket closed: ${JSON.stringify(error)}`));
      },
      complete: () => settle({ data: null }),
    });
    const timer = setTimeout(() => settle({ data: null }), 100);
  });
}

/** The codes of an answer's errors that are not a client's to correct. */
function unexpectedCodes(answer: Answer): unknown[] {
  return (answer.errors ?? [])
    .map((error) => error.extensions?.code)
    .filter((code) => typeof code !== 'string' || !CLIENT_CODES.includes(code));
}

// Values of every kind an argument could be given.
const nul = fc.constantFrom('\u0000', 'a\u0000b', '\u0000'.repeat(10));
const hugeNumber = fc.constantFrom(1e9, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 1e308, -1e308, 5e-324, -0, 8, 224);
const pathLike = fc.constantFrom('/', '/etc', '/home', '/etc/passwd', '../../..', '/proc/self', 'relative/dir', '~');
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...known.names) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/) },
  { weight: 2, arbitrary: nul },
  { weight: 1, arbitrary: pathLike },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(20_000)) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 200 }) },
);
const id = fc.oneof(
  // Read when a value is generated, after beforeAll has filled known.ids.
  { weight: 3, arbitrary: fc.nat().map((index) => known.ids[index % known.ids.length]) },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: text },
);
const wrongType = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean(), fc.constant({}), fc.constant([]));

/** Arguments of an input type: mostly of the right type, sometimes not. */
function valueOf(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return fc.oneof({ weight: 30, arbitrary: valueOf(type.ofType, depth) }, fc.constant(null));
  const correct = ((): fc.Arbitrary<unknown> => {
    if (isListType(type)) return fc.array(valueOf(type.ofType, depth + 1), { maxLength: 4 });
    if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => value.name));
    if (isInputObjectType(type)) {
      if (depth > 3) return fc.constant({});
      const fields = Object.values(type.getFields());
      return fc.record(Object.fromEntries(fields.map((field) => [field.name, valueOf(field.type, depth + 1)])), {
        requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name),
      });
    }
    switch (type.name) {
      case 'ID':
        return id;
      case 'Int':
        return fc.oneof(fc.integer({ min: -5, max: 300 }), hugeNumber);
      case 'Float':
        return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), hugeNumber);
      case 'Boolean':
        return fc.boolean();
      default:
        return text;
    }
  })();
  // Rarely wrong: an input object of 19 fields must still often be valid as a whole to reach the services.
  return fc.oneof({ weight: 30, arbitrary: correct }, fc.constant(null), wrongType);
}

/** A selection of a field's result: its leaves, one level deep. */
function selectionOf(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (isScalarType(type) || isEnumType(type)) return '';
  if (!isObjectType(type)) return '{ __typename }';
  const leaves = Object.values(type.getFields()).filter((child) => {
    const named = getNamedType(child.type);
    return (isScalarType(named) || isEnumType(named)) && child.args.every((arg) => !isNonNullType(arg.type));
  });
  return `{ __typename ${leaves.map((leaf) => leaf.name).join(' ')} }`;
}

/** Every field of the schema's root types, called with generated variables. */
function fieldCall(): fc.Arbitrary<Operation> {
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const;
  const calls = roots.flatMap(([keyword, root]) =>
    Object.values(root?.getFields() ?? {}).map((field) => {
      const definitions = field.args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
      const passed = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
      const query =
        `${keyword} Fuzz${definitions ? `(${definitions})` : ''} ` +
        `{ ${field.name}${passed ? `(${passed})` : ''} ${selectionOf(field)} }`;
      const variables = fc.record(Object.fromEntries(field.args.map((arg) => [arg.name, valueOf(arg.type)])));
      return variables.map((values) => ({ query, variables: values }));
    }),
  );
  return fc.oneof(...calls);
}

/** Documents that are costly, malformed or both. */
const hostileDocument: fc.Arbitrary<Operation> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((depth) => ({
    query: `{ runs { edges { node { ${'model { runs { '.repeat(depth)}id${' } }'.repeat(depth)} } } } }`,
  })),
  fc.integer({ min: 1, max: 3_000 }).map((width) => ({
    query: `{ ${Array.from({ length: width }, (_, index) => `a${index}: system { version }`).join(' ')} }`,
  })),
  fc.integer({ min: 1, max: 30 }).map((levels) => ({
    query: fragmentBomb(levels, 'models { runs(first: 100) { id } }'),
  })),
  fc.integer({ min: 1, max: 200 }).map((count) => ({
    query: `{ system { version ${'@include(if: true) '.repeat(count)} } }`,
  })),
  fc.string({ maxLength: 300 }).map((query) => ({ query })),
  fc.constantFrom(
    { query: '{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }' },
    { query: `{ ${'system { version } '.repeat(3_000)} }` },
    { query: 'subscription { runProgress(runId: "\u0000") { __typename } }' },
  ),
);

/** An operation as failure reports print it: hostile documents run to 60 KB. */
function shortly(operation: Operation): string {
  const text = JSON.stringify(operation);
  return text.length <= 400 ? text : `${text.slice(0, 200)} ... (${text.length} characters) ... ${text.slice(-150)}`;
}

function shortlyPrinted(operation: Operation): Operation {
  return Object.assign(operation, { [fc.toStringMethod]: () => shortly(operation) });
}

async function healthLatency(): Promise<number> {
  const started = performance.now();
  const answer = await overHttp({ query: '{ system { version } }' });
  expect(answer.errors).toBeUndefined();
  return performance.now() - started;
}

/** With FUZZ_STATS set: how often each root field answered with each code, to see what the generators reach. */
const stats = new Map<string, number>();

describe('the API under generated input', () => {
  for (const [transport, send] of [
    ['HTTP', overHttp],
    ['WebSocket', overWebSocket],
  ] as const) {
    it(`answers every field call and hostile document over ${transport} with data or a client error`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 4, arbitrary: fieldCall() }, hostileDocument).map(shortlyPrinted),
          async (operation) => {
            const answer = await send(operation);
            if (process.env.FUZZ_STATS) {
              const root = /^\w+ Fuzz(?:\([^)]*\))? \{ (\w+)/.exec(operation.query)?.[1] ?? 'document';
              const codes = [...new Set((answer.errors ?? []).map((error) => String(error.extensions?.code)))];
              const outcome = `${codes.join(',') || 'data'} ${codes.length === 1 ? (answer.errors?.[0]?.message ?? '').slice(0, 70) : ''}`;
              stats.set(`${root} ${outcome}`, (stats.get(`${root} ${outcome}`) ?? 0) + 1);
            }
            const unexpected = (answer.errors ?? []).filter((error) => unexpectedCodes({ errors: [error] }).length > 0);
            expect({ operation: shortly(operation), unexpected }).toEqual({
              operation: shortly(operation),
              unexpected: [],
            });
          },
        ),
        {
          numRuns: Number(process.env.FUZZ_RUNS ?? 400),
          seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 12,
          endOnFailure: true,
        },
      );
      if (process.env.FUZZ_STATS)
        console.log(
          [...stats]
            .sort()
            .map(([key, count]) => `${count} ${key}`)
            .join('\n'),
        );
      expect(await healthLatency()).toBeLessThan(100);
      expect(test.logs.filter((line) => line.startsWith('Internal error'))).toEqual([]);
    });
  }
});
