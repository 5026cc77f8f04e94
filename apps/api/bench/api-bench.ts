// `npm run bench:api`: the GraphQL API under a busy lab's data and audience. Seeds a throwaway PostgreSQL server with
// 10,000 runs (~715,000 epoch metrics), starts two API processes on it, and measures with the dashboard's own
// operations: the runs list in every sort order and page depth, the Models page, and the live progress of one run
// fanned out to 5,000 WebSocket subscribers while a simulated worker reports through NOTIFY. Prints its figures and
// exits 0 whatever they are; it fails only when something breaks. Everything it starts it stops, on any exit.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate, startEmbeddedPostgres } from '@resnet-lab/api';
import { startApiProcess, type ApiProcess } from './api-process.js';
import type { CleanupStack } from './cleanup-stack.js';
import { runBenchmark } from './run-benchmark.js';
import { CpuMeter, type CpuPhase } from './cpu-meter.js';
import { formatTable } from './format-table.js';
import { MemoryTable } from './memory-table.js';
import type { LoadResult } from './http-load.js';
import { formatMs, summarizeLatencies } from './latency-summary.js';
import { benchModelsPage, type ModelsPageFigures } from './models-page-bench.js';
import { openFileLimit } from './open-file-limit.js';
import { postgresCpuMs, processCpuMs } from './process-cpu.js';
import {
  benchRunsListConcurrent,
  benchRunsListSequential,
  describeOrder,
  RUNS_PAGE_SIZE,
  type RunsListOrderFigures,
} from './runs-list-bench.js';
import { DEFAULT_SEED_OPTIONS, seedRuns } from './seed-runs.js';
import { SimulatedWorker } from './simulated-worker.js';
import { countStatements, describeKinds, startStatementLog, type StatementCounts } from './statement-log.js';
import { benchSubscriptionFanOut, type FanOutFigures } from './subscription-fan-out.js';
import { RUNS_QUERY, MODELS_QUERY } from './dashboard-documents.js';
import { postGraphQL } from './post-graphql.js';

/** What the benchmark does; each figure's size and its bound. */
const SETTINGS = {
  /** Seeded runs (plus a live run per fan-out), each with 50 to 100 finished epochs unless queued. */
  runs: DEFAULT_SEED_OPTIONS.runs,
  /** API processes on the one database. */
  apiProcesses: 2,
  apiStartTimeoutMs: 120_000,
  /** Runs list, one client: walks of `pages` pages per sort order, repeated. */
  sequentialRepetitions: 5,
  pages: 10,
  reportedPages: [1, 2, 10],
  /** Runs list, concurrent clients for a fixed time, each paging 1 to `pages` deep in a random order. */
  concurrentClients: 8,
  concurrentMs: 10_000,
  /** Models page: sequential requests after warm-up ones. */
  modelsRequests: 20,
  modelsWarmUp: 2,
  /**
   * Live progress: WebSocket subscribers of one run, spread evenly over the API processes; first a light audience
   * (the pipeline's own latency), then the full one, each on its own live run.
   */
  fanOutSubscribers: [250, 5_000],
  subscribeConcurrency: 250,
  subscriptionTimeoutMs: 60_000,
  /** 3 epochs of 20 batches at 20 reports a second (by default), each ending with its metric and checkpoint. */
  fanOutPlan: {
    epochs: [3, 4, 5],
    batchesPerEpoch: 20,
    trailingBatches: 5,
    // BENCH_FANOUT_INTERVAL_MS measures other rates: 200 is a run reporting 5 batches a second.
    intervalMs: Number(process.env.BENCH_FANOUT_INTERVAL_MS ?? 50),
  },
  /** Sockets besides the subscribers' that the benchmark process holds (database, HTTP, files). */
  reservedFiles: 200,
  /** The whole benchmark; past it, everything is stopped and it exits 1. */
  timeoutMs: 9.5 * 60_000,
  cleanupStepTimeoutMs: 30_000,
} as const;

const APPLICATION_PREFIX = 'bench-api-';
/** The lost-worker sweep every API runs on a timer: not part of any request's statements. */
const TIMER_STATEMENT = 'SELECT Worker';

async function measure(cleanup: CleanupStack, apis: ApiProcess[]): Promise<void> {
  const files = await openFileLimit();
  const fanOutSubscribers = SETTINGS.fanOutSubscribers.map((wanted) =>
    Math.min(wanted, Math.max(0, (files ?? Infinity) - SETTINGS.reservedFiles)),
  );
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-bench-api-'));
  cleanup.defer(`removing ${root}`, () => fs.rm(root, { recursive: true, force: true }));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter the directory.
  await fs.chmod(root, 0o755);
  const postgresDir = path.join(root, 'postgres');

  let started = performance.now();
  const server = await startEmbeddedPostgres(postgresDir, { owner: 'bench:api', durable: false });
  cleanup.defer('stopping the PostgreSQL server', () => server.stop());
  await migrate(server.url);
  const admin = await connect(server.url, 'bench-admin');
  cleanup.defer('closing the admin connection', () => admin.end());
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  console.log(
    `ResNet Lab API benchmark: Node ${process.version}, ${os.cpus().length} CPUs, ` +
      `${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, embedded PostgreSQL ${version} (fsync off), ` +
      `open files limit ${files ?? 'unknown'}; server up and migrated in ${seconds(performance.now() - started)}.`,
  );

  started = performance.now();
  const seeded = await seedRuns(admin, {
    ...DEFAULT_SEED_OPTIONS,
    runs: SETTINGS.runs,
    liveRuns: SETTINGS.fanOutSubscribers.length,
  });
  const seedMs = performance.now() - started;
  console.log(
    `\nSeeded in ${seconds(seedMs)}: ${count(seeded.runs)} runs (${Object.entries(seeded.runsByStatus)
      .map(([status, runs]) => `${count(runs)} ${status}`)
      .join(', ')}; ${count(seeded.runsWithoutAccuracy)} without a best test accuracy), ` +
      `${count(seeded.epochMetrics)} epoch metrics, ${count(seeded.checkpoints)} checkpoints, ${seeded.models} models, ` +
      `${seeded.datasets} datasets.`,
  );
  console.log(
    formatTable(
      '',
      ['seeding step', 'time'],
      seeded.steps.map((step) => [step.step, seconds(step.ms)]),
    ),
  );

  for (let index = 0; index < SETTINGS.apiProcesses; index++) {
    const name = `${APPLICATION_PREFIX}${String.fromCharCode(97 + index)}`;
    const api = await startApiProcess({
      name,
      databaseUrl: withApplicationName(server.url, name),
      dataDir: path.join(root, name),
      startTimeoutMs: SETTINGS.apiStartTimeoutMs,
    });
    cleanup.defer(`stopping ${name} (pid ${api.pid})`, () => api.stop());
    apis.push(api);
  }
  console.log(
    `\nAPI processes: ${apis.map((api) => `${api.name} (pid ${api.pid}) ready in ${seconds(api.startMs)}`).join(', ')}.`,
  );
  const memory = new MemoryTable(apis);
  await sleep(2_000);
  await memory.sample('idle after start');
  const postmasterPid = Number(
    (await fs.readFile(path.join(postgresDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0],
  );
  const cpu = new CpuMeter([
    ...apis.map((api) => ({ name: api.name, cpuMs: () => processCpuMs(api.pid) })),
    { name: 'PostgreSQL', cpuMs: () => postgresCpuMs(postmasterPid) },
    { name: 'benchmark (clients)', cpuMs: () => Promise.resolve(benchmarkCpuMs()) },
  ]);

  const [first] = apis as [ApiProcess, ...ApiProcess[]];
  const sequential = await cpu.measure('(a) runs list, 1 client', () =>
    benchRunsListSequential(first.url, { repetitions: SETTINGS.sequentialRepetitions, pages: SETTINGS.pages }),
  );
  printRunsListSequential(sequential, first);

  const concurrent = await cpu.measure(`(a) runs list, ${SETTINGS.concurrentClients} clients`, () =>
    benchRunsListConcurrent(
      apis.map((api) => api.url),
      { clients: SETTINGS.concurrentClients, durationMs: SETTINGS.concurrentMs, maxPages: SETTINGS.pages },
    ),
  );
  printRunsListConcurrent(concurrent, apis);

  const models = await cpu.measure('(b) Models page, 1 client', () =>
    benchModelsPage(first.url, { requests: SETTINGS.modelsRequests, warmUp: SETTINGS.modelsWarmUp }),
  );
  const logFile = path.join(postgresDir, 'postgres.log');
  const modelsStatements = await countStatements(admin, logFile, async () => {
    await postGraphQL(first.url, MODELS_QUERY);
  });
  const runsStatements = await countStatements(admin, logFile, async () => {
    await postGraphQL(first.url, RUNS_QUERY, {
      filter: {},
      orderBy: { field: 'BEST_TEST_ACCURACY', direction: 'DESC' },
      first: RUNS_PAGE_SIZE,
    });
  });
  printModelsPage(models, first, { models: modelsStatements, runs: runsStatements });
  await memory.sample('after HTTP load');

  const workerClient = await connect(server.url, 'bench-worker');
  cleanup.defer('closing the worker connection', () => workerClient.end());
  for (const [index, subscribers] of fanOutSubscribers.entries()) {
    const liveRun = seeded.liveRuns[index]!;
    const full = index === fanOutSubscribers.length - 1;
    const label = `(c) ${count(subscribers)} subscribers`;
    const phases: Partial<Record<'subscribing' | 'events', FanOutPhase>> = {};
    const endSubscribingCpu = await cpu.begin(`${label}: subscribing`);
    const stopSubscribingLog = await startStatementLog(admin, logFile);
    const fanOut = await benchSubscriptionFanOut(
      new SimulatedWorker(workerClient, liveRun.id, liveRun.epochs, liveRun.batchesPerEpoch),
      {
        urls: apis.map((api) => api.subscriptionsUrl),
        subscribers,
        runId: liveRun.id,
        replayedEpochs: liveRun.finishedEpochs,
        plan: { ...SETTINGS.fanOutPlan, batchesPerEpoch: liveRun.batchesPerEpoch },
        connectConcurrency: SETTINGS.subscribeConcurrency,
        timeoutMs: SETTINGS.subscriptionTimeoutMs,
        whenSubscribed: async () => {
          phases.subscribing = { statements: await stopSubscribingLog(), cpu: await endSubscribingCpu() };
          if (full) await memory.sample(`${count(subscribers)} subscribed`);
        },
        beforeFinish: full ? () => memory.sample('after the events, subscribed') : undefined,
        aroundEvents: async (events) => {
          const endCpu = await cpu.begin(`${label}: events`);
          const statements = await countStatements(admin, logFile, events);
          phases.events = { statements, cpu: await endCpu() };
        },
      },
    );
    printFanOut(fanOut, apis, liveRun.finishedEpochs, phases);
  }
  await sleep(2_000);
  await memory.sample('subscribers gone');
  console.log(`\n${memory.format('(d) API memory, RSS (VmRSS of /proc/<pid>/status)')}`);
  console.log(`\n${cpu.format()}`);
}

function printRunsListSequential(sequential: readonly RunsListOrderFigures[], api: ApiProcess): void {
  console.log(
    `\n${formatTable(
      `(a) Runs list, query Runs (${RUNS_PAGE_SIZE} a page), 1 client on ${api.name}: ` +
        `${SETTINGS.sequentialRepetitions} walks of pages 1-${SETTINGS.pages} per order (after a warm-up walk), ms`,
      [
        'orderBy',
        ...SETTINGS.reportedPages.map((page) => `page ${page} p50`),
        'all pages p50',
        'p99',
        'max',
        'requests',
        'distinct runs',
      ],
      sequential.map((figures) => {
        const all = summarizeLatencies(figures.allMs);
        return [
          describeOrder(figures.order),
          ...SETTINGS.reportedPages.map((page) => formatMs(summarizeLatencies(figures.pageMs.get(page) ?? []).p50)),
          formatMs(all.p50),
          formatMs(all.p99),
          formatMs(all.max),
          String(all.count),
          `${figures.distinctRuns}/${Math.min(figures.totalCount, SETTINGS.pages * RUNS_PAGE_SIZE)}`,
        ];
      }),
    )}`,
  );
}

function printRunsListConcurrent(concurrent: LoadResult, apis: readonly ApiProcess[]): void {
  const concurrentLatency = summarizeLatencies(concurrent.latenciesMs);
  console.log(
    `\n${formatTable(
      `Runs list, ${concurrent.clients} concurrent clients over ${apis.length} API processes, random order, ` +
        `1-${SETTINGS.pages} pages deep`,
      ['clients', 'seconds', 'requests', 'requests/s', 'p50 ms', 'p99 ms', 'max ms', 'failures'],
      [
        [
          String(concurrent.clients),
          (concurrent.elapsedMs / 1000).toFixed(1),
          String(concurrentLatency.count),
          ((concurrentLatency.count * 1000) / concurrent.elapsedMs).toFixed(0),
          formatMs(concurrentLatency.p50),
          formatMs(concurrentLatency.p99),
          formatMs(concurrentLatency.max),
          String(concurrent.failures),
        ],
      ],
    )}`,
  );
  if (concurrent.firstFailure) console.log(`  first failure: ${concurrent.firstFailure}`);
}

function printModelsPage(
  models: ModelsPageFigures,
  api: ApiProcess,
  statements: { readonly models: StatementCounts; readonly runs: StatementCounts },
): void {
  const modelsLatency = summarizeLatencies(models.latenciesMs);
  console.log(
    `\n${formatTable(
      `(b) Models page, query Models, 1 client on ${api.name}: ${modelsLatency.count} requests after ` +
        `${SETTINGS.modelsWarmUp} warm-up`,
      ['p50 ms', 'p99 ms', 'max ms', 'models', 'runs listed/counted', 'response', 'SQL statements / request'],
      [
        [
          formatMs(modelsLatency.p50),
          formatMs(modelsLatency.p99),
          formatMs(modelsLatency.max),
          String(models.models),
          `${count(models.runsListed)}/${count(models.runsCounted)}`,
          `${(models.responseBytes / 1024).toFixed(0)} KiB`,
          String(requestStatements(statements.models, api.name)),
        ],
      ],
    )}`,
  );
  console.log(
    `  SQL statements of one request (server log, log_statement = all; ${TIMER_STATEMENT} timer excluded):\n` +
      `    Models: ${describeKinds(withoutTimer(statements.models.byKind.get(api.name)))}\n` +
      `    Runs (page 1, BEST_TEST_ACCURACY DESC): ${describeKinds(withoutTimer(statements.runs.byKind.get(api.name)))}`,
  );
}

/** What one phase of a fan-out cost: SQL statements and CPU time. */
interface FanOutPhase {
  readonly statements: StatementCounts;
  readonly cpu: CpuPhase;
}

function printFanOut(
  fanOut: FanOutFigures,
  apis: readonly ApiProcess[],
  replayedEpochs: number,
  phases: Partial<Record<'subscribing' | 'events', FanOutPhase>>,
): void {
  const plan = SETTINGS.fanOutPlan;
  console.log(
    `\n(c) Live progress, subscription RunProgress: ${count(fanOut.subscribed)} of ${count(fanOut.subscribers)} ` +
      `WebSocket subscribers on ${apis.length} API processes subscribed in ${seconds(fanOut.subscribeMs)} ` +
      `(${SETTINGS.subscribeConcurrency} at a time, each first replaying the run's ${replayedEpochs} finished epochs)` +
      (fanOut.failedToSubscribe > 0 ? `; ${fanOut.failedToSubscribe} failed: ${fanOut.firstFailure}` : '') +
      `.\n  The worker reported ${plan.epochs.length} epochs x ${plan.batchesPerEpoch} batches every ${plan.intervalMs} ms, ` +
      `each epoch ending with its metric and checkpoint in one transaction, then ${plan.trailingBatches} batches ` +
      `and a cancel; the event phase took ${seconds(fanOut.eventPhaseMs)}.`,
  );
  console.log(
    formatTable(
      'Delay from NOTIFY (COMMIT for epoch, checkpoint and status) to arrival at each subscriber, ms',
      ['event', 'events', 'delivered/expected', 'p50', 'p99', 'max', 'last subscriber p50', 'last subscriber max'],
      fanOut.byKind.map((figures) => [
        figures.kind,
        String(figures.events),
        `${count(figures.delivered)}/${count(figures.expected)}`,
        formatMs(figures.delayMs.p50),
        formatMs(figures.delayMs.p99),
        formatMs(figures.delayMs.max),
        formatMs(figures.lastArrivalMs.p50),
        formatMs(figures.lastArrivalMs.max),
      ]),
    ),
  );
  console.log(
    `  Stall after checkpoints (per subscriber: delay of the first batch after a checkpoint minus that of the last ` +
      `batch before the epoch end): p50 ${formatMs(fanOut.stallMs.p50)} ms, p99 ${formatMs(fanOut.stallMs.p99)} ms, ` +
      `max ${formatMs(fanOut.stallMs.max)} ms over ${count(fanOut.stallMs.count)} pairs.`,
  );
  const events = phases.events;
  console.log(
    formatTable(
      '',
      ['API process', 'delivered/expected', 'p50 ms', 'p99 ms', 'max ms', 'CPU per delivery'],
      fanOut.byApi.map((figures, index) => {
        const cpuMs = events?.cpu.cpuMs[index];
        return [
          apis[index]!.name,
          `${count(figures.delivered)}/${count(figures.expected)}`,
          formatMs(figures.delayMs.p50),
          formatMs(figures.delayMs.p99),
          formatMs(figures.delayMs.max),
          cpuMs === null || cpuMs === undefined || figures.delivered === 0
            ? '-'
            : `${((cpuMs * 1000) / figures.delivered).toFixed(0)} us`,
        ];
      }),
    ),
  );
  const delivered = fanOut.byApi.reduce((total, figures) => total + figures.delivered, 0);
  console.log(
    `  ${count(Math.round((delivered * 1000) / fanOut.eventPhaseMs))} deliveries/s over the event phase; ` +
      `duplicates ${fanOut.duplicates}, out of order ${fanOut.outOfOrder}, unexpected ${fanOut.unexpected}; ` +
      `${count(fanOut.completed)} subscriptions completed by the final status, ` +
      `${fanOut.erroredAfterSubscribing} ended with an error` +
      (fanOut.firstErrorAfterSubscribing ? ` (first: ${fanOut.firstErrorAfterSubscribing})` : '') +
      '.',
  );
  for (const [phase, figures] of Object.entries(phases)) {
    const perApi = apis.map(
      (api) =>
        `${api.name} ${figures.statements.total.get(api.name) ?? 0} (${describeKinds(figures.statements.byKind.get(api.name))})`,
    );
    console.log(`  SQL statements while ${phase}: ${perApi.join('; ')}`);
  }
}

/** This process's CPU time (the HTTP and WebSocket clients, the simulated worker), ms. */
function benchmarkCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function requestStatements(statements: StatementCounts, application: string): number {
  let total = 0;
  for (const [kind, times] of statements.byKind.get(application) ?? []) if (kind !== TIMER_STATEMENT) total += times;
  return total;
}

function withoutTimer(kinds: ReadonlyMap<string, number> | undefined): Map<string, number> {
  return new Map([...(kinds ?? [])].filter(([kind]) => kind !== TIMER_STATEMENT));
}

async function connect(url: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  // A connection the server ends (at shutdown) must not crash the benchmark before it cleans up.
  client.on('error', (error) => console.error(`${applicationName}: ${error.message}`));
  await client.connect();
  return client;
}

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

process.exitCode = await runBenchmark('API benchmark', SETTINGS, measure);
