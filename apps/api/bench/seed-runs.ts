// Fills a migrated database with a tracking history the size of a busy lab's, in set-based SQL (generate_series,
// INSERT ... SELECT): models, the built-in datasets and one more, thousands of runs in every status with an
// EpochMetric row per finished epoch and their latest and best checkpoints, plus one live run to subscribe to.
import { resolveTrainConfig, type TrainConfig } from '@resnet-lab/trainer';
import { RESNET_ARCHS, summarizeResNet } from '@resnet-lab/resnet';
import type pg from 'pg';

export interface SeedOptions {
  /** Runs besides the live one. */
  readonly runs: number;
  /** Model widths per architecture: models = architectures x widths. */
  readonly widths: readonly number[];
  /** RUNNING runs with few stored epochs, one per subscription benchmark. */
  readonly liveRuns: number;
  /** Every run that trained has between these many finished epochs (EpochMetric rows). */
  readonly minEpochs: number;
  readonly maxEpochs: number;
}

export const DEFAULT_SEED_OPTIONS: SeedOptions = {
  runs: 10_000,
  widths: [1, 0.5, 0.25, 2],
  liveRuns: 2,
  minEpochs: 50,
  maxEpochs: 100,
};

/** A RUNNING run that a subscription benchmark follows: few stored epochs, so the replay is short. */
export interface LiveRun {
  readonly id: string;
  /** Epochs it has finished (stored EpochMetric rows, replayed to every new subscriber). */
  readonly finishedEpochs: number;
  readonly epochs: number;
  readonly batchesPerEpoch: number;
}

export interface SeedResult {
  readonly models: number;
  readonly datasets: number;
  readonly runs: number;
  readonly epochMetrics: number;
  readonly checkpoints: number;
  /** Runs without a best test accuracy (NULL sorts last). */
  readonly runsWithoutAccuracy: number;
  readonly runsByStatus: Readonly<Record<string, number>>;
  readonly liveRuns: readonly LiveRun[];
  /** Milliseconds per step, in order. */
  readonly steps: readonly { readonly step: string; readonly ms: number }[];
}

/** Fixed, so every run of the benchmark measures the same data. */
const RANDOM_SEED = 0.42;
const LIVE_RUN: Omit<LiveRun, 'id'> = { finishedEpochs: 2, epochs: 10, batchesPerEpoch: 20 };

export async function seedRuns(client: pg.Client, options: SeedOptions = DEFAULT_SEED_OPTIONS): Promise<SeedResult> {
  const steps: { step: string; ms: number }[] = [];
  const step = async (name: string, sql: string, values: unknown[] = []) => {
    const started = performance.now();
    const result = await client.query(sql, values);
    steps.push({ step: name, ms: performance.now() - started });
    return result;
  };
  // Nothing here needs to survive a crash: the database is a benchmark's. The rows refer to each other correctly
  // by construction, so the foreign-key triggers (one lookup of the run per inserted row, most of the insert time)
  // are skipped, as pg_restore does.
  await client.query('SET synchronous_commit = off');
  await client.query("SET session_replication_role = 'replica'");
  await client.query('BEGIN');
  try {
    await client.query('SELECT setseed($1)', [RANDOM_SEED]);
    await step('datasets', DATASETS_SQL);
    const models = modelRows(options.widths);
    await step(
      'models',
      `INSERT INTO "Model" ("id", "name", "description", "arch", "stem", "width", "classes", "inputSize",
         "parameterCount", "macs", "createdAt")
       SELECT gen_random_uuid()::text, model.name, model.description, model.arch, 'cifar', model.width, 10, 32,
         model.parameters, model.macs, timezone('utc', now()) - interval '400 days' + model.position * interval '1 day'
       FROM jsonb_to_recordset($1::jsonb) AS model(position int, name text, description text, arch text, width float8,
         parameters bigint, macs bigint)`,
      [JSON.stringify(models)],
    );
    await step('run plan', RUN_PLAN_SQL, [options.runs, options.minEpochs, options.maxEpochs]);
    await step('runs', RUNS_SQL, [JSON.stringify(trainConfigTemplate())]);
    // Inserting 700,000 random uuids into a btree costs 5x building the index afterwards: the indexes of the
    // migrations are dropped for the load and built again under their own names.
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    await client.query('ALTER TABLE "EpochMetric" DROP CONSTRAINT "EpochMetric_pkey"');
    await client.query('DROP INDEX "EpochMetric_runId_epoch_key"');
    await step('epoch metrics', EPOCH_METRICS_SQL);
    await step(
      'epoch metric indexes',
      `ALTER TABLE "EpochMetric" ADD CONSTRAINT "EpochMetric_pkey" PRIMARY KEY ("id");
       CREATE UNIQUE INDEX "EpochMetric_runId_epoch_key" ON "EpochMetric"("runId", "epoch")`,
    );
    await step('checkpoints', CHECKPOINTS_SQL);
    await step('best accuracy', BEST_ACCURACY_SQL);
    const liveRuns: LiveRun[] = [];
    for (let number = 1; number <= options.liveRuns; number++) {
      const live = await step(`live run ${number}`, LIVE_RUN_SQL, [
        LIVE_RUN.epochs,
        LIVE_RUN.finishedEpochs,
        LIVE_RUN.batchesPerEpoch,
        JSON.stringify({ ...trainConfigTemplate(), epochs: LIVE_RUN.epochs }),
        `bench live run ${number}`,
      ]);
      liveRuns.push({ id: (live.rows[0] as { id: string }).id, ...LIVE_RUN });
    }
    await client.query('COMMIT');
    await client.query("SET session_replication_role = 'origin'");
    await step('vacuum analyze', 'VACUUM ANALYZE');
    const counts = await client.query<{ table: string; rows: string }>(COUNTS_SQL);
    const byStatus = await client.query<{ status: string; runs: string }>(
      'SELECT "status"::text AS "status", count(*) AS "runs" FROM "Run" GROUP BY 1 ORDER BY 1',
    );
    const count = (table: string) => Number(counts.rows.find((row) => row.table === table)?.rows ?? 0);
    return {
      models: count('Model'),
      datasets: count('Dataset'),
      runs: count('Run'),
      epochMetrics: count('EpochMetric'),
      checkpoints: count('Checkpoint'),
      runsWithoutAccuracy: count('Run without accuracy'),
      runsByStatus: Object.fromEntries(byStatus.rows.map((row) => [row.status, Number(row.runs)])),
      liveRuns,
      steps,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`Seeding the benchmark database failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Every architecture at every width, with the parameter count and MACs the API would store for it. */
function modelRows(widths: readonly number[]) {
  return RESNET_ARCHS.flatMap((arch, archIndex) =>
    widths.map((width, widthIndex) => {
      const summary = summarizeResNet({ arch, stem: 'cifar', width, classes: 10, inputSize: 32 });
      return {
        position: archIndex * widths.length + widthIndex,
        name: width === 1 ? `cifar-${arch}` : `cifar-${arch}-w${width}`,
        description: `${arch} at width ${width} for 32x32 images`,
        arch,
        width,
        parameters: summary.trainableParams,
        macs: summary.macs,
      };
    }),
  );
}

/**
 * The hyperparameters every seeded run stores: the trainer's defaults, as resolveTrainConfig fills them in. The SQL
 * sets each run's data, arch and width over these, and varies a few others.
 */
function trainConfigTemplate(): TrainConfig {
  return resolveTrainConfig({ data: 'synthetic', arch: 'resnet18' });
}

// The two datasets the API registers at start-up (it only refreshes their location) and an image folder without
// a test split: runs on it have no test accuracy.
const DATASETS_SQL = `
  INSERT INTO "Dataset" ("id", "name", "description", "format", "location", "classNames", "trainSize", "testSize",
    "imageSize", "options", "builtIn")
  VALUES
    (gen_random_uuid()::text, 'cifar10', 'CIFAR-10 (official binary files).', 'CIFAR10_BINARY', '/data/cifar10',
      ARRAY['airplane','automobile','bird','cat','deer','dog','frog','horse','ship','truck'], 50000, 10000, 32, NULL,
      true),
    (gen_random_uuid()::text, 'synthetic', 'Generated patterns under noise.', 'SYNTHETIC', 'synthetic',
      ARRAY['horizontal-stripes','vertical-stripes','diagonal-stripes','checkerboard','dots','grid','disc','ring',
        'cross','plain'], 1000, 200, 32, '{"classes":10,"trainCount":1000,"testCount":200,"imageSize":32}', true),
    (gen_random_uuid()::text, 'flowers', 'Photos by class folder, no test split.', 'IMAGE_FOLDER', '/data/flowers',
      ARRAY['daisy','dandelion','rose','sunflower','tulip','iris','lily','orchid','poppy','violet'], 4000, NULL, 32,
      NULL, false)`;

// One row per run with everything random about it decided once: status, model, dataset, epochs planned and done,
// timestamps, and the accuracy its curve tends to. $1 runs; $2 and $3 bound the epochs a run that trained finished.
const RUN_PLAN_SQL = `
  CREATE TEMP TABLE "RunPlan" ON COMMIT DROP AS
  WITH drawn AS (
    SELECT n, random() AS status_draw, random() AS dataset_draw, random() AS name_draw, random() AS done_draw,
      $2::int + floor(random() * ($3::int - $2::int + 1))::int AS planned,
      timezone('utc', now()) - random() * interval '365 days' AS created_at
    FROM generate_series(1, $1::int) AS n
  ), decided AS (
    SELECT drawn.*,
      CASE WHEN status_draw < 0.80 THEN 'COMPLETED' WHEN status_draw < 0.90 THEN 'FAILED'
        WHEN status_draw < 0.97 THEN 'CANCELLED' WHEN status_draw < 0.99 THEN 'RUNNING' ELSE 'QUEUED' END::"RunStatus"
        AS status
    FROM drawn
  ), models AS (
    SELECT "id", "name", "arch", "width", row_number() OVER (ORDER BY "createdAt") - 1 AS position FROM "Model"
  )
  SELECT gen_random_uuid()::text AS id, n, planned, created_at, status,
    CASE status WHEN 'QUEUED' THEN 0 WHEN 'COMPLETED' THEN planned
      ELSE $2::int + floor(done_draw * (planned - $2::int))::int END AS done,
    models.id AS model_id, models.name AS model_name, models.arch, models.width,
    CASE WHEN dataset_draw < 0.45 THEN 'cifar10' WHEN dataset_draw < 0.90 THEN 'synthetic' ELSE 'flowers' END
      AS dataset_name,
    -- A third of the runs share one of 40 sweep names, so that sorting by name has ties for the id to break.
    CASE WHEN name_draw < 0.33 THEN 'lr-sweep-' || lpad((floor(name_draw * 1000)::int % 40)::text, 2, '0')
      ELSE models.name || ' #' || n END AS name,
    0.55 + random() * 0.4 AS final_accuracy,
    30 + random() * 90 AS epoch_seconds,
    random() * interval '2 hours' AS queued_for
  FROM decided JOIN models ON models.position = decided.n % (SELECT count(*) FROM models)`;

const RUNS_SQL = `
  INSERT INTO "Run" ("id", "name", "modelId", "datasetId", "config", "status", "epochs", "backend", "device",
    "outputDir", "createdAt", "startedAt", "finishedAt", "errorMessage", "currentEpoch", "currentBatch",
    "batchesPerEpoch", "progress", "lastBatchLoss", "imagesPerSecond", "attempts")
  SELECT plan.id, plan.name, plan.model_id, dataset."id",
    $1::jsonb || jsonb_build_object('data', dataset."location", 'arch', plan.arch, 'width', plan.width,
      'epochs', plan.planned, 'seed', plan.n % 5, 'learningRate', (ARRAY[0.1, 0.05, 0.2, 0.02])[1 + plan.n % 4]),
    plan.status, plan.planned,
    CASE WHEN plan.status = 'QUEUED' THEN NULL ELSE 'tensorflow' END,
    CASE WHEN plan.status = 'QUEUED' THEN NULL ELSE 'CPU (oneDNN, 2 threads)' END,
    'runs/' || plan.id, plan.created_at,
    CASE WHEN plan.status = 'QUEUED' THEN NULL ELSE plan.created_at + plan.queued_for END,
    CASE WHEN plan.status IN ('QUEUED', 'RUNNING') THEN NULL
      ELSE plan.created_at + plan.queued_for + plan.done * plan.epoch_seconds * interval '1 second' END,
    CASE WHEN plan.status = 'FAILED'
      THEN 'Worker exited with code 137 (out of memory?) during epoch ' || (plan.done + 1) END,
    plan.done, CASE WHEN plan.status = 'RUNNING' THEN 17 ELSE 0 END,
    CASE WHEN plan.status = 'QUEUED' THEN NULL ELSE 391 END,
    CASE WHEN plan.status = 'COMPLETED' THEN 1 ELSE plan.done::float8 / plan.planned END,
    CASE WHEN plan.status = 'QUEUED' THEN NULL ELSE 2.3 * exp(-plan.done / 20.0::float8) END,
    CASE WHEN plan.status = 'QUEUED' THEN NULL ELSE 400 + plan.n % 300 END,
    CASE WHEN plan.status = 'QUEUED' THEN 0 ELSE 1 END
  FROM "RunPlan" AS plan JOIN "Dataset" AS dataset ON dataset."name" = plan.dataset_name`;

// An EpochMetric row per finished epoch. Runs on the image folder have no test split: no test loss or accuracy.
const EPOCH_METRICS_SQL = `
  INSERT INTO "EpochMetric" ("id", "runId", "epoch", "trainLoss", "trainAccuracy", "testLoss", "testAccuracy",
    "learningRate", "durationSeconds", "imagesPerSecond", "createdAt")
  SELECT gen_random_uuid()::text, plan.id, epoch,
    2.3 * exp(-epoch / 20.0::float8) + random() * 0.05,
    least(0.999, plan.final_accuracy * (1 - exp(-epoch / 12.0::float8)) + 0.03 + random() * 0.02),
    CASE WHEN plan.dataset_name <> 'flowers' THEN 2.3 * exp(-epoch / 25.0::float8) + random() * 0.08 END,
    CASE WHEN plan.dataset_name <> 'flowers'
      THEN least(0.99, plan.final_accuracy * (1 - exp(-epoch / 12.0::float8)) + (random() - 0.5) * 0.02) END,
    CASE WHEN epoch <= 50 THEN 0.1 ELSE 0.01 END,
    plan.epoch_seconds * (0.95 + random() * 0.1),
    400 + random() * 50,
    plan.created_at + plan.queued_for + epoch * plan.epoch_seconds * interval '1 second'
  FROM "RunPlan" AS plan CROSS JOIN LATERAL generate_series(1, plan.done) AS epoch`;

// Each run keeps the files of its latest and its best epoch (the recorder prunes the rest): 1 or 2 checkpoints.
const CHECKPOINTS_SQL = `
  WITH best AS (
    SELECT DISTINCT ON ("runId") "runId", "epoch" FROM "EpochMetric"
    WHERE "testAccuracy" IS NOT NULL ORDER BY "runId", "testAccuracy" DESC, "epoch"
  )
  INSERT INTO "Checkpoint" ("id", "runId", "epoch", "testAccuracy", "testLoss", "isBest", "sizeBytes", "sha256",
    "location", "createdAt")
  SELECT gen_random_uuid()::text, metric."runId", metric."epoch", metric."testAccuracy", metric."testLoss",
    coalesce(metric."epoch" = best."epoch", false), 89400000 + metric."epoch", md5(metric."id") || md5(metric."runId"),
    'runs/' || metric."runId" || '/checkpoints/epoch-' || lpad(metric."epoch"::text, 4, '0'), metric."createdAt"
  FROM "EpochMetric" AS metric
  JOIN "RunPlan" AS plan ON plan.id = metric."runId"
  LEFT JOIN best ON best."runId" = metric."runId"
  WHERE metric."epoch" = plan.done OR metric."epoch" = best."epoch"`;

const BEST_ACCURACY_SQL = `
  UPDATE "Run" SET "bestTestAccuracy" = best.accuracy
  FROM (SELECT "runId", max("testAccuracy") AS accuracy FROM "EpochMetric" GROUP BY "runId") AS best
  WHERE best."runId" = "Run"."id" AND best.accuracy IS NOT NULL`;

// A run the subscription benchmark follows, named $5: RUNNING, $2 epochs finished of $1, $3 batches an epoch,
// checkpoints of its finished epochs (all but the last pruned).
const LIVE_RUN_SQL = `
  WITH fresh AS (SELECT gen_random_uuid()::text AS "id"),
  model AS (SELECT "id", "arch", "width" FROM "Model" ORDER BY "createdAt" LIMIT 1),
  dataset AS (SELECT "id", "location" FROM "Dataset" WHERE "name" = 'synthetic'),
  run AS (
    INSERT INTO "Run" ("id", "name", "modelId", "datasetId", "config", "status", "epochs", "backend", "device",
      "outputDir", "createdAt", "startedAt", "currentEpoch", "batchesPerEpoch", "progress", "attempts")
    SELECT fresh."id", $5, model."id", dataset."id",
      $4::jsonb || jsonb_build_object('data', dataset."location", 'arch', model."arch", 'width', model."width"),
      'RUNNING', $1::int, 'tensorflow', 'CPU (oneDNN, 2 threads)', 'runs/' || fresh."id", timezone('utc', now()),
      timezone('utc', now()), $2::int, $3::int, $2::float8 / $1::int, 1
    FROM fresh, model, dataset
    RETURNING "id"
  ), metrics AS (
    INSERT INTO "EpochMetric" ("id", "runId", "epoch", "trainLoss", "trainAccuracy", "testLoss", "testAccuracy",
      "learningRate", "durationSeconds", "imagesPerSecond")
    SELECT gen_random_uuid()::text, run."id", epoch, 2.0 / epoch, 0.3 * epoch, 2.1 / epoch, 0.28 * epoch, 0.1, 60, 420
    FROM run, generate_series(1, $2::int) AS epoch
  ), checkpoints AS (
    INSERT INTO "Checkpoint" ("id", "runId", "epoch", "testAccuracy", "testLoss", "isBest", "sizeBytes", "sha256",
      "location", "prunedAt")
    SELECT gen_random_uuid()::text, run."id", epoch, 0.28 * epoch, 2.1 / epoch, epoch = $2::int, 89400000,
      md5(epoch::text) || md5(run."id"), 'runs/' || run."id" || '/checkpoints/epoch-' || lpad(epoch::text, 4, '0'),
      CASE WHEN epoch < $2::int THEN timezone('utc', now()) END
    FROM run, generate_series(1, $2::int) AS epoch
  )
  SELECT "id" FROM run`;

const COUNTS_SQL = `
  SELECT 'Model' AS "table", count(*) AS "rows" FROM "Model"
  UNION ALL SELECT 'Dataset', count(*) FROM "Dataset"
  UNION ALL SELECT 'Run', count(*) FROM "Run"
  UNION ALL SELECT 'EpochMetric', count(*) FROM "EpochMetric"
  UNION ALL SELECT 'Checkpoint', count(*) FROM "Checkpoint"
  UNION ALL SELECT 'Run without accuracy', count(*) FROM "Run" WHERE "bestTestAccuracy" IS NULL`;
