// The API's evaluateCheckpoint against the forward benchmark (issue 15: "the API's evaluate at the forward benchmark's
// rate"): a ResNet18 (width 1, cifar stem, one class per folder) imported as a safetensors state dict, evaluated over
// an image folder of N images (default 10,000 CIFAR-10 JPEGs, 1,000 per class) by `evaluateCheckpoint` over HTTP
// GraphQL, against the API as users start it on an embedded PostgreSQL, a few times in a row (the first decodes the
// images, the rest read the decoded-image cache); then the images/s of each call next to the forward rate of the same
// model at the same batch size, timed in this process on random data, and the ratio.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveResNetConfig } from '@resnet-lab/resnet';
import type { InferenceModel } from '@resnet-lab/trainer';
import { TRAIN_DEFAULTS, useBackend, userCacheDirectory } from '@resnet-lab/trainer';
import { CONFIG_DEFAULTS, migrate, startEmbeddedPostgres } from '@resnet-lab/api';
import { IMPORTED_FILE, writeRandomResNetImport } from './random-resnet-import.js';
import { SHARED_CIFAR10_JPG_ARCHIVE, cifar10JpgFolder } from '../../../packages/trainer/bench/cifar10-jpg-folder.js';
import { throughputRange } from '../../../packages/trainer/bench/throughput-range.js';
import { startApiProcess, type ApiProcess } from './api-process.js';
import { childProcesses } from './child-processes.js';
import type { CleanupStack } from './cleanup-stack.js';
import {
  EVALUATE_BENCH_USAGE,
  EvaluateBenchUsageError,
  parseEvaluateBenchOptions,
  type EvaluateBenchOptions,
} from './evaluate-bench-options.js';
import { formatEvaluateReport, type EvaluationTiming } from './evaluate-bench-report.js';
import { imagesPerClass } from './images-per-class.js';
import { postGraphQL } from './post-graphql.js';
import { formatMiB, residentSetBytes } from './resident-set-bytes.js';
import { runBenchmark } from './run-benchmark.js';

const SETTINGS = {
  model: { arch: 'resnet18', stem: 'cifar', width: 1, inputSize: 32 },
  /** What the API's worker evaluates imported weights in (evaluationSettings): they record no run of their own. */
  batchSize: TRAIN_DEFAULTS.batchSize,
  apiStartTimeoutMs: 120_000,
  /** One evaluateCheckpoint call; past it, the call is a failure, not a figure. */
  evaluationTimeoutMs: 20 * 60_000,
  /** The whole benchmark; past it, everything is stopped and it exits 1. */
  timeoutMs: 90 * 60_000,
  cleanupStepTimeoutMs: 30_000,
} as const;

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);
const DATASET_NAME = 'bench-images';
const MODEL_NAME = 'bench-resnet18';

const EVALUATE_MUTATION = `mutation Evaluate($input: EvaluateCheckpointInput!) {
  evaluateCheckpoint(input: $input) { images accuracy durationSeconds }
}`;

interface EvaluateData {
  evaluateCheckpoint: { images: number; accuracy: number; durationSeconds: number };
}

async function measure(options: EvaluateBenchOptions, cleanup: CleanupStack, apis: ApiProcess[]): Promise<void> {
  const source =
    options.data ??
    (await cifar10JpgFolder(SHARED_CIFAR10_JPG_ARCHIVE, path.join(userCacheDirectory(), 'datasets'), (archive, to) =>
      console.error(`Extracting ${archive} into ${to} (once)...`),
    ));
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-bench-evaluate-'));
  cleanup.defer(`removing ${root}`, () => fs.rm(root, { recursive: true, force: true }));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter the directory.
  await fs.chmod(root, 0o755);
  const datasetRoot = path.join(root, 'datasets');
  const classNames = await copyImages(source, path.join(datasetRoot, DATASET_NAME), options.images);

  const server = await startEmbeddedPostgres(path.join(root, 'postgres'), { owner: 'bench:evaluate', durable: false });
  cleanup.defer('stopping the PostgreSQL server', () => server.stop());
  await migrate(server.url);

  const backend = await useBackend('auto');
  const config = resolveResNetConfig({ ...SETTINGS.model, classes: classNames.length });
  const { importRoot, inference } = await writeRandomResNetImport(root, config);
  const forwardSeconds = timeForwardPasses(inference, options.forwardPasses);

  const api = await startApiProcess({
    name: 'bench-evaluate',
    databaseUrl: server.url,
    dataDir: path.join(root, 'api'),
    startTimeoutMs: SETTINGS.apiStartTimeoutMs,
    environment: { IMPORT_ROOTS: importRoot, DATASET_ROOTS: datasetRoot },
  });
  cleanup.defer(`stopping ${api.name} (pid ${api.pid})`, () => api.stop());
  apis.push(api);
  await postGraphQL(
    api.url,
    `mutation { createModel(input: { name: "${MODEL_NAME}", arch: "resnet18", stem: "cifar", width: 1,
      classes: ${classNames.length}, inputSize: ${SETTINGS.model.inputSize} }) { id } }`,
  );
  await postGraphQL(
    api.url,
    `mutation { registerDataset(input: { name: "${DATASET_NAME}", format: IMAGE_FOLDER, location: "${DATASET_NAME}" })
      { id } }`,
  );
  const { importModelVersion } = await postGraphQL<{ importModelVersion: { checkpoint: { id: string } } }>(
    api.url,
    `mutation { importModelVersion(input: { modelName: "${MODEL_NAME}", datasetName: "${DATASET_NAME}",
      path: "${IMPORTED_FILE}" }) { checkpoint { id } } }`,
  );

  const loadBefore = os.loadavg()[0]!;
  const evaluations: EvaluationTiming[] = [];
  for (let call = 1; call <= options.evaluations; call++) {
    const started = performance.now();
    const { evaluateCheckpoint } = await postGraphQL<EvaluateData>(
      api.url,
      EVALUATE_MUTATION,
      { input: { checkpointId: importModelVersion.checkpoint.id, split: 'ALL' } },
      { timeoutMs: SETTINGS.evaluationTimeoutMs },
    );
    const wallSeconds = (performance.now() - started) / 1000;
    if (evaluateCheckpoint.images !== options.images) {
      throw new Error(
        `Expected evaluation ${call} to measure ${options.images} images, got ${evaluateCheckpoint.images}.`,
      );
    }
    evaluations.push({ wallSeconds, serverSeconds: evaluateCheckpoint.durationSeconds });
    console.error(
      `evaluateCheckpoint #${call}: ${wallSeconds.toFixed(2)} s (server ${evaluateCheckpoint.durationSeconds.toFixed(2)}` +
        ` s), accuracy ${evaluateCheckpoint.accuracy.toFixed(4)}`,
    );
  }
  const loadAfter = os.loadavg()[0]!;
  // The worker the API keeps for the next evaluation (none with EVALUATION_WORKER_IDLE_SECONDS=0): what keeping it costs.
  // One stopped a moment ago may still be listed, without memory (exiting): it is not kept.
  const idleWorkers = (
    await Promise.all(
      (await childProcesses(api.pid)).map(async (pid) => ({ pid, resident: await residentSetBytes(pid) })),
    )
  )
    .filter(({ resident }) => resident !== null)
    .map(({ pid, resident }) => `pid ${pid}, ${formatMiB(resident)} resident`);

  console.log(
    `ResNet Lab evaluateCheckpoint benchmark (issue 15): Node ${process.version}, ${os.cpus().length} CPUs, load ` +
      `average ${loadBefore.toFixed(2)} before the evaluations and ${loadAfter.toFixed(2)} after (1 min; other work ` +
      `on the machine shows in the figures), backend ${backend.name} (${backend.device}).\n` +
      `ResNet18 width 1, cifar stem, ${classNames.length} classes, imported (random weights); split ALL of an image ` +
      `folder of ${options.images} images (${source}, evenly over ${classNames.length} classes), evaluated ` +
      `${options.evaluations} time(s) in a row over HTTP GraphQL; the first call starts a worker process, which the ` +
      `API keeps for the next (EVALUATION_WORKER_IDLE_SECONDS=${process.env.EVALUATION_WORKER_IDLE_SECONDS ?? CONFIG_DEFAULTS.evaluationWorkerIdleSeconds}; ` +
      `0: a process each). Idle worker after the calls: ${idleWorkers.join('; ') || 'none'}. "server s" is ` +
      `Evaluation.durationSeconds (the worker from its backend start to its result); "beyond forward s" is wall ` +
      `time less the images at the forward rate.\n`,
  );
  console.log(
    formatEvaluateReport({
      images: options.images,
      batchSize: SETTINGS.batchSize,
      forward: throughputRange(SETTINGS.batchSize, forwardSeconds),
      evaluations,
    }),
  );
}

/**
 * Copies the first images (by file name) of each class folder of `source` into `destination`, `total` in all spread
 * evenly over the classes; returns the class names in order.
 */
async function copyImages(source: string, destination: string, total: number): Promise<string[]> {
  const entries = await fs.readdir(source, { withFileTypes: true });
  const classNames = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const files = await Promise.all(
    classNames.map(async (name) =>
      (await fs.readdir(path.join(source, name)))
        .filter((file) => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase()))
        .sort(),
    ),
  );
  const counts = imagesPerClass(
    total,
    classNames,
    files.map((list) => list.length),
  );
  for (const [index, name] of classNames.entries()) {
    await fs.mkdir(path.join(destination, name), { recursive: true });
    await Promise.all(
      files[index]!.slice(0, counts[index]).map((file) =>
        fs.copyFile(path.join(source, name, file), path.join(destination, name, file)),
      ),
    );
  }
  return classNames;
}

/** Seconds of each batch forward pass of `model` on random data, after one unmeasured; disposes `model`. */
function timeForwardPasses(model: InferenceModel, passes: number): number[] {
  const input = tf.randomUniform<tf.Rank.R4>(
    [SETTINGS.batchSize, SETTINGS.model.inputSize, SETTINGS.model.inputSize, 3],
    0,
    1,
    'float32',
    1,
  );
  const samples: number[] = [];
  try {
    for (let pass = 0; pass <= passes; pass++) {
      const started = performance.now();
      const logits = model.predict(input);
      logits.dataSync();
      logits.dispose();
      if (pass > 0) samples.push((performance.now() - started) / 1000);
    }
  } finally {
    input.dispose();
    model.dispose();
  }
  return samples;
}

let options: EvaluateBenchOptions | 'help';
try {
  options = parseEvaluateBenchOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof EvaluateBenchUsageError)) throw error;
  console.error(`${error.message}\n\n${EVALUATE_BENCH_USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  console.log(EVALUATE_BENCH_USAGE);
} else {
  process.exitCode = await runBenchmark('evaluateCheckpoint benchmark', SETTINGS, (cleanup, apis) =>
    measure(options, cleanup, apis),
  );
}
