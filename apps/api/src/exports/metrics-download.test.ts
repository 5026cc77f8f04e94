// The metrics downloads through the real HTTP server: exact CSV and JSON of runs with known metrics (names that need
// quoting or a formula guard, nulls, numbers that need every digit), the paths GraphQL gives for them, and the errors:
// 404 for an unknown run, 400 for bad compare ids, 401 without the token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../test-support/test-api.js';
import { compareMetricsPath, parseCompareIds, parseMetricsDownloadPath } from './metrics-download.js';

const TOKEN = 'metrics-token';
const AUTHORIZATION = `Bearer ${TOKEN}`;
/** A name with a comma, double quotes and a newline: every case of RFC 4180 quoting. */
const ODD_NAME = 'lr 0.1, "warm"\nrestart';
/** A name a spreadsheet would run as a formula (OWASP's CSV injection example) were it not guarded. */
const FORMULA_NAME = '=HYPERLINK("http://x")';

let test: TestApi;
let origin: string;
/** Runs by role: `odd` has two epochs and three batches, `plain` and `formula` one epoch, `empty` nothing yet. */
const runs: Record<'odd' | 'plain' | 'empty' | 'formula', string> = { odd: '', plain: '', empty: '', formula: '' };

beforeAll(async () => {
  test = await startTestApi({ API_TOKEN: TOKEN });
  origin = new URL(test.api.url).origin;
  const { prisma, models } = test.api.services;
  const model = await models.create({ name: 'exports', arch: 'resnet18', width: 0.0625, classes: 2, inputSize: 8 });
  const dataset = await prisma.dataset.findUniqueOrThrow({ where: { name: 'synthetic' } });
  const createRun = async (name: string) =>
    (
      await prisma.run.create({
        data: { name, modelId: model.id, datasetId: dataset.id, config: {}, epochs: 2, outputDir: '' },
      })
    ).id;
  runs.odd = await createRun(ODD_NAME);
  runs.plain = await createRun('plain');
  runs.empty = await createRun('empty');
  runs.formula = await createRun(FORMULA_NAME);
  await prisma.epochMetric.createMany({
    data: [
      // Stored out of order: the exports sort by epoch.
      {
        runId: runs.odd,
        epoch: 2,
        trainLoss: 0.1 + 0.7,
        trainAccuracy: 2 / 3,
        testLoss: 1e-7,
        testAccuracy: 0.5,
        learningRate: 0.01,
        durationSeconds: 12.5,
        imagesPerSecond: 80.25,
      },
      {
        runId: runs.odd,
        epoch: 1,
        trainLoss: 2.302585092994046,
        trainAccuracy: 1 / 3,
        testLoss: null,
        testAccuracy: null,
        learningRate: 0.1,
        durationSeconds: 13,
        imagesPerSecond: 76.92307692307692,
      },
      {
        runId: runs.plain,
        epoch: 1,
        trainLoss: 1.5,
        trainAccuracy: 0.25,
        testLoss: 1.75,
        testAccuracy: 0.125,
        learningRate: 0.05,
        durationSeconds: 3,
        imagesPerSecond: 100,
      },
      {
        // A negative number is written bare: only text is guarded.
        runId: runs.formula,
        epoch: 1,
        trainLoss: -0.25,
        trainAccuracy: 0.5,
        testLoss: null,
        testAccuracy: null,
        learningRate: 0.1,
        durationSeconds: 2,
        imagesPerSecond: 64,
      },
    ],
  });
  await prisma.batchMetric.createMany({
    data: [
      { runId: runs.odd, step: 3, epoch: 2, batch: 1, loss: 0.7, accuracy: 0.5, learningRate: 0.01 },
      { runId: runs.odd, step: 1, epoch: 1, batch: 1, loss: 2.4, accuracy: 0, learningRate: 0.1 },
      { runId: runs.odd, step: 2, epoch: 1, batch: 2, loss: 1 / 9, accuracy: 0.25, learningRate: 0.1 },
    ],
  });
});
afterAll(async () => {
  await test?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** GETs (or `method`s) a path of the API with `authorization`, none for null. */
async function download(path: string, authorization: string | null = AUTHORIZATION, method = 'GET') {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: authorization === null ? {} : { authorization },
  });
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'content-disposition']) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: await response.text() } satisfies Answer;
}

const CSV = 'text/csv; charset=utf-8; header=present';
const JSON_TYPE = 'application/json; charset=utf-8';
const EPOCH_HEADER = 'epoch,trainLoss,trainAccuracy,testLoss,testAccuracy,learningRate,durationSeconds,imagesPerSecond';
const ODD_EPOCH_ROWS = [
  '1,2.302585092994046,0.3333333333333333,,,0.1,13,76.92307692307692',
  '2,0.7999999999999999,0.6666666666666666,1e-7,0.5,0.01,12.5,80.25',
];
const ODD_METRICS = [
  {
    epoch: 1,
    trainLoss: 2.302585092994046,
    trainAccuracy: 1 / 3,
    testLoss: null,
    testAccuracy: null,
    learningRate: 0.1,
    durationSeconds: 13,
    imagesPerSecond: 76.92307692307692,
  },
  {
    epoch: 2,
    trainLoss: 0.1 + 0.7,
    trainAccuracy: 2 / 3,
    testLoss: 1e-7,
    testAccuracy: 0.5,
    learningRate: 0.01,
    durationSeconds: 12.5,
    imagesPerSecond: 80.25,
  },
];
const PLAIN_METRICS = [
  {
    epoch: 1,
    trainLoss: 1.5,
    trainAccuracy: 0.25,
    testLoss: 1.75,
    testAccuracy: 0.125,
    learningRate: 0.05,
    durationSeconds: 3,
    imagesPerSecond: 100,
  },
];

const lines = (...records: string[]) => records.map((record) => `${record}\r\n`).join('');

describe('GET /runs/<id>/metrics.csv and .json', () => {
  it("answers the run's epochs as CSV, in epoch order, at full precision, with an empty field for null", async () => {
    expect(await download(`/runs/${runs.odd}/metrics.csv`)).toEqual({
      status: 200,
      headers: { 'content-type': CSV, 'content-disposition': `attachment; filename="run-${runs.odd}-metrics.csv"` },
      body: lines(EPOCH_HEADER, ...ODD_EPOCH_ROWS),
    });
    expect((await download(`/runs/${runs.empty}/metrics.csv`)).body).toBe(lines(EPOCH_HEADER));
  });

  it('answers the same as JSON, with the run id and name', async () => {
    const answer = await download(`/runs/${runs.odd}/metrics.json`);
    expect({ ...answer, body: JSON.parse(answer.body) as unknown }).toEqual({
      status: 200,
      headers: {
        'content-type': JSON_TYPE,
        'content-disposition': `attachment; filename="run-${runs.odd}-metrics.json"`,
      },
      body: { id: runs.odd, name: ODD_NAME, metrics: ODD_METRICS },
    });
    expect(
      answer.body.startsWith(`{"id":"${runs.odd}","name":${JSON.stringify(ODD_NAME)},"metrics":[{"epoch":1,`),
    ).toBe(true);
  });

  it('answers HEAD with the headers only', async () => {
    expect(await download(`/runs/${runs.odd}/metrics.csv`, AUTHORIZATION, 'HEAD')).toEqual({
      status: 200,
      headers: { 'content-type': CSV, 'content-disposition': `attachment; filename="run-${runs.odd}-metrics.csv"` },
      body: '',
    });
  });
});

describe('GET /runs/<id>/batch-metrics.csv and .json', () => {
  it('answers every stored batch in step order', async () => {
    expect(await download(`/runs/${runs.odd}/batch-metrics.csv`)).toEqual({
      status: 200,
      headers: {
        'content-type': CSV,
        'content-disposition': `attachment; filename="run-${runs.odd}-batch-metrics.csv"`,
      },
      body: lines(
        'step,epoch,batch,loss,accuracy,learningRate',
        '1,1,1,2.4,0,0.1',
        '2,1,2,0.1111111111111111,0.25,0.1',
        '3,2,1,0.7,0.5,0.01',
      ),
    });
    const json = await download(`/runs/${runs.odd}/batch-metrics.json`);
    expect(json.headers['content-disposition']).toBe(`attachment; filename="run-${runs.odd}-batch-metrics.json"`);
    expect(JSON.parse(json.body)).toEqual({
      id: runs.odd,
      name: ODD_NAME,
      batchMetrics: [
        { step: 1, epoch: 1, batch: 1, loss: 2.4, accuracy: 0, learningRate: 0.1 },
        { step: 2, epoch: 1, batch: 2, loss: 1 / 9, accuracy: 0.25, learningRate: 0.1 },
        { step: 3, epoch: 2, batch: 1, loss: 0.7, accuracy: 0.5, learningRate: 0.01 },
      ],
    });
    expect(JSON.parse((await download(`/runs/${runs.plain}/batch-metrics.json`)).body)).toEqual({
      id: runs.plain,
      name: 'plain',
      batchMetrics: [],
    });
  });
});

describe('GET /compare/metrics.csv and .json', () => {
  it('answers one row per run and epoch, runs in the order asked, with their id and quoted name', async () => {
    const ids = `${runs.plain},${runs.odd},${runs.empty}`;
    expect(await download(`/compare/metrics.csv?ids=${ids}`)).toEqual({
      status: 200,
      headers: { 'content-type': CSV, 'content-disposition': 'attachment; filename="compare-3-runs-metrics.csv"' },
      body: lines(
        `runId,runName,${EPOCH_HEADER}`,
        `${runs.plain},plain,1,1.5,0.25,1.75,0.125,0.05,3,100`,
        ...ODD_EPOCH_ROWS.map((row) => `${runs.odd},"lr 0.1, ""warm""\nrestart",${row}`),
      ),
    });
    const json = await download(`/compare/metrics.json?ids=${ids}`);
    expect(json.headers).toEqual({
      'content-type': JSON_TYPE,
      'content-disposition': 'attachment; filename="compare-3-runs-metrics.json"',
    });
    expect(JSON.parse(json.body)).toEqual({
      runs: [
        { id: runs.plain, name: 'plain', metrics: PLAIN_METRICS },
        { id: runs.odd, name: ODD_NAME, metrics: ODD_METRICS },
        { id: runs.empty, name: 'empty', metrics: [] },
      ],
    });
  });

  it("guards a name that begins like a formula with a ' in the CSV, and leaves it as it is in the JSON", async () => {
    expect((await download(`/compare/metrics.csv?ids=${runs.formula},${runs.plain}`)).body).toBe(
      lines(
        `runId,runName,${EPOCH_HEADER}`,
        `${runs.formula},"'=HYPERLINK(""http://x"")",1,-0.25,0.5,,,0.1,2,64`,
        `${runs.plain},plain,1,1.5,0.25,1.75,0.125,0.05,3,100`,
      ),
    );
    expect((await download(`/runs/${runs.formula}/metrics.csv`)).body).toBe(
      lines(EPOCH_HEADER, '1,-0.25,0.5,,,0.1,2,64'),
    );
    const formulaMetrics = [
      {
        epoch: 1,
        trainLoss: -0.25,
        trainAccuracy: 0.5,
        testLoss: null,
        testAccuracy: null,
        learningRate: 0.1,
        durationSeconds: 2,
        imagesPerSecond: 64,
      },
    ];
    expect(JSON.parse((await download(`/compare/metrics.json?ids=${runs.formula}`)).body)).toEqual({
      runs: [{ id: runs.formula, name: FORMULA_NAME, metrics: formulaMetrics }],
    });
    const json = await download(`/runs/${runs.formula}/metrics.json`);
    expect(json.body).toBe(
      `{"id":"${runs.formula}","name":"=HYPERLINK(\\"http://x\\")","metrics":[{"epoch":1,"trainLoss":-0.25,` +
        '"trainAccuracy":0.5,"testLoss":null,"testAccuracy":null,"learningRate":0.1,"durationSeconds":2,' +
        '"imagesPerSecond":64}]}',
    );
    expect(JSON.parse((await download(`/runs/${runs.formula}/batch-metrics.json`)).body)).toEqual({
      id: runs.formula,
      name: FORMULA_NAME,
      batchMetrics: [],
    });
  });

  it('answers 400 BAD_USER_INPUT for no ids, more than 20, or an empty one', async () => {
    const tooMany = Array.from({ length: 21 }, () => runs.plain).join(',');
    expect(await download('/compare/metrics.csv')).toEqual({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'Expected 1 to 20 run ids, got 0.', code: 'BAD_USER_INPUT', field: 'ids' }),
    });
    expect(JSON.parse((await download(`/compare/metrics.json?ids=${tooMany}`)).body)).toEqual({
      error: 'Expected 1 to 20 run ids, got 21.',
      code: 'BAD_USER_INPUT',
      field: 'ids',
    });
    expect(await download(`/compare/metrics.csv?ids=${runs.plain},,${runs.odd}`)).toMatchObject({
      status: 400,
      body: JSON.stringify({
        error: `Expected run ids separated by commas, got an empty one in '${runs.plain},,${runs.odd}'.`,
        code: 'BAD_USER_INPUT',
        field: 'ids',
      }),
    });
  });
});

describe('errors', () => {
  it.each([
    '/runs/no-such-run/metrics.csv',
    '/runs/no-such-run/metrics.json',
    '/runs/no-such-run/batch-metrics.csv',
    '/runs/no-such-run/batch-metrics.json',
  ])('answers 404 NOT_FOUND naming the id for %s', async (path) => {
    expect(await download(path)).toEqual({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: "No run with id 'no-such-run'.", code: 'NOT_FOUND' }),
    });
  });

  it('answers 404 NOT_FOUND naming the first unknown id of a comparison', async () => {
    expect(await download(`/compare/metrics.csv?ids=${runs.plain},nope,also-nope`)).toEqual({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: "No run with id 'nope'.", code: 'NOT_FOUND' }),
    });
  });

  it.each([null, 'Bearer wrong-token', TOKEN])(
    'answers 401 UNAUTHENTICATED with API_TOKEN set and authorization %s',
    async (authorization) => {
      for (const path of [
        `/runs/${runs.odd}/metrics.csv`,
        `/runs/${runs.odd}/batch-metrics.json`,
        `/compare/metrics.csv?ids=${runs.odd}`,
      ]) {
        expect(await download(path, authorization)).toEqual({
          status: 401,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            error: 'Downloads need a token: send `Authorization: Bearer <API_TOKEN>`.',
            code: 'UNAUTHENTICATED',
          }),
        });
      }
    },
  );
});

describe('GraphQL paths', () => {
  it('gives Run and RunComparison the paths of their downloads, which answer', async () => {
    const result = await test.execute<{
      run: Record<string, string>;
      compareRuns: Record<string, string>;
    }>(
      `query($id: ID!, $ids: [ID!]!) {
        run(id: $id) { metricsCsvPath metricsJsonPath batchMetricsCsvPath batchMetricsJsonPath }
        compareRuns(ids: $ids) { metricsCsvPath metricsJsonPath }
      }`,
      { id: runs.odd, ids: [runs.odd, runs.plain] },
    );
    expect(result).toEqual({
      data: {
        run: {
          metricsCsvPath: `/runs/${runs.odd}/metrics.csv`,
          metricsJsonPath: `/runs/${runs.odd}/metrics.json`,
          batchMetricsCsvPath: `/runs/${runs.odd}/batch-metrics.csv`,
          batchMetricsJsonPath: `/runs/${runs.odd}/batch-metrics.json`,
        },
        compareRuns: {
          metricsCsvPath: `/compare/metrics.csv?ids=${runs.odd},${runs.plain}`,
          metricsJsonPath: `/compare/metrics.json?ids=${runs.odd},${runs.plain}`,
        },
      },
      errors: undefined,
    });
    const paths = [...Object.values(result.data!.run), ...Object.values(result.data!.compareRuns)];
    expect((await Promise.all(paths.map((path) => download(path)))).map((answer) => answer.status)).toEqual([
      200, 200, 200, 200, 200, 200,
    ]);
  });
});

describe('paths', () => {
  it('percent-encodes ids and parses them back, commas included', () => {
    expect(parseMetricsDownloadPath('/runs/a%20b%2Fc/metrics.csv')).toEqual({
      kind: 'run',
      runId: 'a b/c',
      format: 'csv',
    });
    expect(parseMetricsDownloadPath('/runs/r/batch-metrics.json')).toEqual({
      kind: 'batches',
      runId: 'r',
      format: 'json',
    });
    expect(parseMetricsDownloadPath('/compare/metrics.json')).toEqual({ kind: 'compare', format: 'json' });
    const path = compareMetricsPath(['a,b', 'c d'], 'csv');
    expect(path).toBe('/compare/metrics.csv?ids=a%2Cb,c%20d');
    expect(parseCompareIds(new URL(path, 'http://localhost').search)).toEqual(['a,b', 'c d']);
    expect(parseCompareIds('?ids=a,b&ids=c&other=d')).toEqual(['a', 'b', 'c']);
  });

  it.each([
    '/runs//metrics.csv',
    '/runs/a/b/metrics.csv',
    '/runs/a/metrics.xml',
    '/runs/a/metrics.csv/',
    '/runs/%E0%A4%A/metrics.csv',
    '/compare/metrics.tsv',
    '/graphql',
  ])('is not a metrics download: %s', (path) => {
    expect(parseMetricsDownloadPath(path)).toBeNull();
  });
});
