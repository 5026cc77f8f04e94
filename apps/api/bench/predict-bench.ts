// Warm prediction latency through the API (issue 15: "one warm 32x32 prediction through the API under 10 ms p50"):
// a ResNet18 (width 1, cifar stem, 10 classes) imported as a safetensors state dict and promoted to 'production',
// then N `predict` mutations of one 32x32 PNG, one at a time over HTTP GraphQL, against the API as users start it on
// an embedded PostgreSQL. Prints p50/p90/p99/max of the whole request, of the server's own figure (decode and
// forward pass) and of the forward pass alone run in this process, so that the rest (GraphQL, database, HTTP) shows.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveResNetConfig } from '@resnet-lab/resnet';
import type { InferenceModel } from '@resnet-lab/trainer';
import { useBackend } from '@resnet-lab/trainer';
import { migrate, startEmbeddedPostgres } from '@resnet-lab/api';
import { IMPORTED_FILE, writeRandomResNetImport } from './random-resnet-import.js';
import { startApiProcess, type ApiProcess } from './api-process.js';
import type { CleanupStack } from './cleanup-stack.js';
import { formatTable } from './format-table.js';
import { formatMs, summarizeLatencies } from './latency-summary.js';
import { postGraphQL } from './post-graphql.js';
import { runBenchmark } from './run-benchmark.js';
import { stripesPng } from '../test-support/test-api.js';

const SETTINGS = {
  /** Warm requests measured, one after another. */
  requests: Number(process.env['PREDICT_REQUESTS'] ?? 200),
  /** Requests sent first and not counted: the first loads the checkpoint, the rest warm the caches. */
  warmUpRequests: 10,
  /** The image: a 32x32 PNG, the model's own input size (no resize). */
  imageSize: 32,
  model: { arch: 'resnet18', stem: 'cifar', width: 1, classes: 10, inputSize: 32 },
  apiStartTimeoutMs: 120_000,
  /** The whole benchmark; past it, everything is stopped and it exits 1. */
  timeoutMs: 10 * 60_000,
  cleanupStepTimeoutMs: 30_000,
} as const;
/** The target for the whole request, p50. */
const TARGET_P50_MS = 10;

const SETUP_MUTATIONS = [
  `mutation { createModel(input: { name: "bench-resnet18", arch: "resnet18", stem: "cifar", width: 1, classes: 10,
    inputSize: 32 }) { id } }`,
  `mutation { registerDataset(input: { name: "bench-ten-classes", format: SYNTHETIC,
    synthetic: { classes: 10, imageSize: 32, trainCount: 10, testCount: 10 } }) { id } }`,
  `mutation { importModelVersion(input: { modelName: "bench-resnet18", datasetName: "bench-ten-classes",
    path: "${IMPORTED_FILE}", aliases: ["production"] }) { version } }`,
];
const PREDICT_MUTATION = `mutation Predict($input: PredictInput!) {
  predict(input: $input) { topK { classIndex probability } latencyMs cached }
}`;

/** The floor of any request: HTTP, Apollo and a resolver that reads no database. */
const TRIVIAL_QUERY = '{ system { version } }';

interface PredictData {
  predict: { topK: { classIndex: number; probability: number }[]; latencyMs: number; cached: boolean };
}

async function measure(cleanup: CleanupStack, apis: ApiProcess[]): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-bench-predict-'));
  cleanup.defer(`removing ${root}`, () => fs.rm(root, { recursive: true, force: true }));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter the directory.
  await fs.chmod(root, 0o755);
  const server = await startEmbeddedPostgres(path.join(root, 'postgres'), { owner: 'bench:predict', durable: false });
  cleanup.defer('stopping the PostgreSQL server', () => server.stop());
  await migrate(server.url);

  const backend = await useBackend('auto');
  const config = resolveResNetConfig(SETTINGS.model);
  const { importRoot, inference } = await writeRandomResNetImport(root, config);
  const forwardMs = timeForwardPass(inference);

  const api = await startApiProcess({
    name: 'bench-predict',
    databaseUrl: server.url,
    dataDir: path.join(root, 'api'),
    startTimeoutMs: SETTINGS.apiStartTimeoutMs,
    environment: { IMPORT_ROOTS: importRoot },
  });
  cleanup.defer(`stopping ${api.name} (pid ${api.pid})`, () => api.stop());
  apis.push(api);
  for (const mutation of SETUP_MUTATIONS) await postGraphQL(api.url, mutation);

  const image = stripesPng(SETTINGS.imageSize).toString('base64');
  const predict = async () => {
    const started = performance.now();
    const { predict } = await postGraphQL<PredictData>(api.url, PREDICT_MUTATION, {
      input: { modelName: 'bench-resnet18', imageBase64: image, topK: 3 },
    });
    return { ms: performance.now() - started, serverMs: predict.latencyMs, cached: predict.cached };
  };
  const first = await predict();
  for (let request = 1; request < SETTINGS.warmUpRequests; request++) await predict();
  const loadBefore = os.loadavg()[0]!;
  const requests: { ms: number; serverMs: number }[] = [];
  for (let request = 0; request < SETTINGS.requests; request++) {
    const answer = await predict();
    if (!answer.cached) throw new Error(`Expected request ${request} to find the model loaded, but it was not.`);
    requests.push(answer);
  }

  const trivialMs: number[] = [];
  for (let request = 0; request < SETTINGS.warmUpRequests + SETTINGS.requests; request++) {
    const started = performance.now();
    await postGraphQL(api.url, TRIVIAL_QUERY);
    if (request >= SETTINGS.warmUpRequests) trivialMs.push(performance.now() - started);
  }

  console.log(
    `ResNet Lab warm prediction benchmark (issue 15): Node ${process.version}, ${os.cpus().length} CPUs, load ` +
      `average ${loadBefore.toFixed(2)} (1 min, before the measured requests; other work on the machine shows in ` +
      `the figures), backend ${backend.name} (${backend.device}).\n` +
      `ResNet18 width 1, cifar stem, 10 classes, imported and promoted; a ${SETTINGS.imageSize}x` +
      `${SETTINGS.imageSize} PNG (${Buffer.from(image, 'base64').byteLength} bytes) to predict, ` +
      `${SETTINGS.requests} requests one after another after ${SETTINGS.warmUpRequests} unmeasured ones (the first, ` +
      `which loads the checkpoint, took ${formatMs(first.ms)} ms).\n`,
  );
  const whole = summarizeLatencies(requests.map((request) => request.ms));
  const serverSide = summarizeLatencies(requests.map((request) => request.serverMs));
  const rest = summarizeLatencies(requests.map((request) => request.ms - request.serverMs));
  const forward = summarizeLatencies(forwardMs);
  const row = (name: string, summary: ReturnType<typeof summarizeLatencies>) => [
    name,
    formatMs(summary.p50),
    formatMs(summary.p90),
    formatMs(summary.p99),
    formatMs(summary.max),
  ];
  console.log(
    formatTable(
      'Milliseconds per prediction',
      ['part', 'p50', 'p90', 'p99', 'max'],
      [
        row('whole request (HTTP GraphQL predict, as a client sees it)', whole),
        row("server's latencyMs: decode + forward pass + top-k", serverSide),
        row('the rest: HTTP, GraphQL, model lookup, storing the prediction', rest),
        row('forward pass alone (InferenceModel.predict, batch 1, this process)', forward),
        row(`for scale: a query that reads no database (${TRIVIAL_QUERY})`, summarizeLatencies(trivialMs)),
      ],
    ),
  );
  console.log(
    `\nTarget (issue 15): whole request under ${TARGET_P50_MS} ms p50: ` +
      `${whole.p50 < TARGET_P50_MS ? 'met' : 'not met'} (${formatMs(whole.p50)} ms).`,
  );
}

/** Milliseconds of each batch-1 forward pass of `model`, after unmeasured ones; disposes `model`. */
function timeForwardPass(model: InferenceModel): number[] {
  const input = tf.randomUniform<tf.Rank.R4>([1, SETTINGS.imageSize, SETTINGS.imageSize, 3], 0, 1, 'float32', 1);
  const samples: number[] = [];
  try {
    for (let pass = 0; pass < SETTINGS.warmUpRequests + SETTINGS.requests; pass++) {
      const started = performance.now();
      const logits = model.predict(input);
      logits.dataSync();
      logits.dispose();
      if (pass >= SETTINGS.warmUpRequests) samples.push(performance.now() - started);
    }
  } finally {
    input.dispose();
    model.dispose();
  }
  return samples;
}

process.exitCode = await runBenchmark('warm prediction benchmark', SETTINGS, measure);
