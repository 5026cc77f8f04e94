// `npm run bench:hardening`: the attacks of issue 12 ("Hardening the API") against API processes as users start them,
// on a throwaway PostgreSQL server: a fragment bomb over HTTP and WebSocket, decompression bombs sent to predict,
// 10,000 subscriptions on one WebSocket, and more WebSockets than one client address may hold. Prints its figures and
// exits 0 whatever they are; it fails only when something breaks. Everything it starts it stops, on any exit.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { migrate, startEmbeddedPostgres } from '@resnet-lab/api';
import { startApiProcess, type ApiProcess } from './api-process.js';
import { blackPng } from '../test-support/black-png.js';
import type { CleanupStack } from './cleanup-stack.js';
import { describeError } from '../src/error-reporter.js';
import { runBenchmark } from './run-benchmark.js';
import { formatTable } from './format-table.js';
import { formatMs, summarizeLatencies } from './latency-summary.js';
import { postGraphQL } from './post-graphql.js';
import { formatMiB, residentSetBytes } from './resident-set-bytes.js';
import { trainTrackedCheckpoint, type TrackedCheckpoint } from './tracked-checkpoint.js';
import { fragmentBomb } from '../test-support/fragment-bomb.js';

/** What the benchmark does; each figure's size and its bound. */
const SETTINGS = {
  apiStartTimeoutMs: 120_000,
  /** (1) Fragments F1..F24 each spread the previous one twice: 2^24 spreads of F0 once expanded. */
  fragmentLevels: 24,
  /** (1) Bombs per transport, each with a health query sent while it is in flight. */
  fragmentBombs: 5,
  /** (2) The decompression bomb: 99,980,001 pixels. */
  imageWidth: 9999,
  imageHeight: 9999,
  /** (2a) Bombs sent one after another to the API with the default MAX_IMAGE_PIXELS. */
  refusedImages: 5,
  /** (2b) Bombs sent at once to an API whose MAX_IMAGE_PIXELS admits them. */
  concurrentImages: 4,
  admittingPixelLimit: 100_000_000,
  /** (2b) Pause between one health probe's answer and the next probe, and between memory samples. */
  probeIntervalMs: 20,
  /** (3) Subscribe messages on one WebSocket. */
  subscriptions: 10_000,
  /** (3) Rounds of subscribe messages, each on a new socket. */
  subscriptionRounds: 2,
  /** (3) Answers are complete when none arrived for this long. */
  quietMs: 2_000,
  subscriptionTimeoutMs: 60_000,
  /** (4) MAX_CONNECTIONS_PER_CLIENT of the first API process, and how many connections over it are tried. */
  connectionsPerClient: 50,
  extraConnections: 10,
  /** Longest wait for one HTTP answer (the four bombs of (2b) take seconds). */
  requestTimeoutMs: 120_000,
  /** The whole benchmark; past it, everything is stopped and it exits 1. */
  timeoutMs: 5 * 60_000,
  cleanupStepTimeoutMs: 30_000,
} as const;

const HEALTH_QUERY = '{ system { version } }';
const RUN_UPDATED_SUBSCRIPTION = 'subscription { runUpdated { id } }';
const PREDICT_MUTATION = `mutation Predict($input: PredictInput!) {
  predict(input: $input) { topK { classIndex probability } }
}`;
const START_RUN_MUTATION = `mutation StartRun($input: StartRunInput!) { startRun(input: $input) { id } }`;

/** What a GraphQL operation got back: an HTTP status (null over WebSocket), data and errors. */
interface Answer {
  readonly status: number | null;
  readonly data?: unknown;
  readonly errors?: readonly GraphQLFormattedError[];
}

async function measure(cleanup: CleanupStack, apis: ApiProcess[]): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-bench-hardening-'));
  cleanup.defer(`removing ${root}`, () => fs.rm(root, { recursive: true, force: true }));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter the directory.
  await fs.chmod(root, 0o755);

  const started = performance.now();
  const server = await startEmbeddedPostgres(path.join(root, 'postgres'), {
    owner: 'bench:hardening',
    durable: false,
  });
  cleanup.defer('stopping the PostgreSQL server', () => server.stop());
  await migrate(server.url);
  const postgresMs = performance.now() - started;

  const start = async (name: string, environment: Record<string, string>) => {
    const api = await startApiProcess({
      name,
      databaseUrl: server.url,
      dataDir: path.join(root, name),
      startTimeoutMs: SETTINGS.apiStartTimeoutMs,
      environment,
    });
    cleanup.defer(`stopping ${name} (pid ${api.pid})`, () => api.stop());
    apis.push(api);
    return api;
  };
  // One after the other: a process still starting when the other fails would miss the cleanup.
  const limited = await start('bench-hardening-a', {
    MAX_CONNECTIONS_PER_CLIENT: String(SETTINGS.connectionsPerClient),
  });
  const admitting = await start('bench-hardening-b', { MAX_IMAGE_PIXELS: String(SETTINGS.admittingPixelLimit) });
  console.log(
    `ResNet Lab hardening benchmark (issue 12): Node ${process.version}, ${os.cpus().length} CPUs, ` +
      `${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, load average ${os.loadavg()[0]!.toFixed(1)} (1 min; other work ` +
      `on the machine shows in the latencies); embedded PostgreSQL up and migrated in ${seconds(postgresMs)}.\n` +
      `API processes on it: ${limited.name} (pid ${limited.pid}, defaults but MAX_CONNECTIONS_PER_CLIENT=` +
      `${SETTINGS.connectionsPerClient}) ready in ${seconds(limited.startMs)}; ${admitting.name} (pid ` +
      `${admitting.pid}, defaults but MAX_IMAGE_PIXELS=${SETTINGS.admittingPixelLimit}) ready in ` +
      `${seconds(admitting.startMs)}.`,
  );

  await benchFragmentBomb(limited);

  const training = new AbortController();
  cleanup.defer('stopping resnet-lab train', () => Promise.resolve(training.abort()));
  const checkpoint = await trainTrackedCheckpoint(limited.url, path.join(root, 'tracked-run'), training.signal);
  console.log(
    `\nCheckpoint for predict: \`resnet-lab train --data synthetic --arch resnet18 --width 0.0625 --epochs 1 ` +
      `--track ${limited.url}\` took ${seconds(checkpoint.trainMs)}.`,
  );
  const bomb = blackPng(SETTINGS.imageWidth, SETTINGS.imageHeight, { bitDepth: 8 });
  await benchRefusedImages(limited, checkpoint, bomb);
  await benchConcurrentImages(admitting, checkpoint, bomb);

  await benchSubscriptionsPerConnection(limited, checkpoint);
  await benchConnectionsPerClient(limited);
}

/** (1) The fragment bomb that blocked the API for 58 s, over HTTP and WebSocket, with a health query in flight. */
async function benchFragmentBomb(api: ApiProcess): Promise<void> {
  const bomb = fragmentBomb(SETTINGS.fragmentLevels);
  const client = createClient({ url: api.subscriptionsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  try {
    // Opens the connection and loads what the first system query loads: neither is what is measured.
    expectData(await overWebSocket(client, HEALTH_QUERY), 'the warm-up query over WebSocket');
    expectData(await overHttp(api.url, HEALTH_QUERY), 'the warm-up query over HTTP');
    const alone: number[] = [];
    for (let index = 0; index < SETTINGS.fragmentBombs; index++) alone.push(await timedHealthQuery(api.url));
    const transports = [
      { name: 'HTTP POST', send: () => overHttp(api.url, bomb) },
      { name: 'WebSocket (graphql-ws)', send: () => overWebSocket(client, bomb) },
    ];
    const rows: string[][] = [];
    const messages = new Set<string>();
    for (const transport of transports) {
      const refusedMs: number[] = [];
      const healthMs: number[] = [];
      const answers = new Set<string>();
      for (let index = 0; index < SETTINGS.fragmentBombs; index++) {
        const started = performance.now();
        const refused = transport.send().then((answer) => ({ answer, ms: performance.now() - started }));
        const health = timedHealthQuery(api.url);
        const [{ answer, ms }, healthLatency] = await Promise.all([refused, health]);
        refusedMs.push(ms);
        healthMs.push(healthLatency);
        answers.add(describeAnswer(answer));
        for (const error of answer.errors ?? []) messages.add(error.message);
      }
      const refusal = summarizeLatencies(refusedMs);
      const health = summarizeLatencies(healthMs);
      rows.push([
        transport.name,
        formatMs(refusal.p50),
        formatMs(refusal.max),
        [...answers].join('; '),
        formatMs(health.p50),
        formatMs(health.max),
      ]);
    }
    const healthAlone = summarizeLatencies(alone);
    rows.push(['(no bomb)', '', '', '', formatMs(healthAlone.p50), formatMs(healthAlone.max)]);
    console.log(
      `\n${formatTable(
        `(1) Fragment bomb to ${api.name}: \`query Bomb { ...F${SETTINGS.fragmentLevels} }\`, each fragment ` +
          `spreading the previous one twice (${Buffer.byteLength(bomb)} bytes, ` +
          `${count(2 ** SETTINGS.fragmentLevels)} spreads of F0 expanded); ${SETTINGS.fragmentBombs} per transport, ` +
          `each with \`${HEALTH_QUERY}\` sent over HTTP while it is in flight; ms`,
        ['transport', 'refused in p50', 'max', 'answer', 'health query p50', 'max'],
        rows,
      )}`,
    );
    for (const message of messages) console.log(`  message: ${message}`);
  } finally {
    await client.dispose();
  }
}

/** (2a) The decompression bomb against the default MAX_IMAGE_PIXELS: refused from the image header. */
async function benchRefusedImages(api: ApiProcess, checkpoint: TrackedCheckpoint, image: Buffer): Promise<void> {
  const input = { checkpointId: checkpoint.checkpointId, imageBase64: image.toString('base64'), topK: 1 };
  const before = await residentSetBytes(api.pid);
  const latencies: number[] = [];
  const answers = new Set<string>();
  const messages = new Set<string>();
  for (let index = 0; index < SETTINGS.refusedImages; index++) {
    const started = performance.now();
    const answer = await overHttp(api.url, PREDICT_MUTATION, { input });
    latencies.push(performance.now() - started);
    answers.add(describeAnswer(answer));
    for (const error of answer.errors ?? []) messages.add(error.message);
  }
  const after = await residentSetBytes(api.pid);
  const latency = summarizeLatencies(latencies);
  console.log(
    `\n${formatTable(
      `(2a) Decompression bomb to predict on ${api.name} (default MAX_IMAGE_PIXELS): a ${describeImage(image)}, ` +
        `${SETTINGS.refusedImages} times one after another`,
      ['refused in p50 ms', 'max ms', 'answer', 'API RSS before', 'after'],
      [[formatMs(latency.p50), formatMs(latency.max), [...answers].join('; '), formatMiB(before), formatMiB(after)]],
    )}`,
  );
  for (const message of messages) console.log(`  message: ${message}`);
}

/**
 * (2b) Four decompression bombs at once to an API that admits them, so that they are decoded (on the image decoder
 * pool's threads), while health probes measure how long other requests wait.
 */
async function benchConcurrentImages(api: ApiProcess, checkpoint: TrackedCheckpoint, image: Buffer): Promise<void> {
  const predict = (png: Buffer) =>
    overHttp(api.url, PREDICT_MUTATION, {
      input: { checkpointId: checkpoint.checkpointId, imageBase64: png.toString('base64'), topK: 1 },
    });
  // Loads the checkpoint and starts the decoder's threads, which is not what is measured.
  let started = performance.now();
  expectData(await predict(blackPng(64, 64)), 'the warm-up prediction of a 64x64 image');
  const warmUpMs = performance.now() - started;
  expectData(await overHttp(api.url, HEALTH_QUERY), 'the warm-up health query');
  await sleep(500);
  const before = await residentSetBytes(api.pid);

  let predicting = true;
  const peak = peakResidentSet(api.pid, () => predicting);
  const probes = [
    { name: `POST ${HEALTH_QUERY}`, probe: () => timedHealthQuery(api.url) },
    { name: 'GET /healthz', probe: () => timedHealthz(api.url) },
  ].map(async ({ name, probe }) => {
    const latencies: number[] = [];
    let failed = 0;
    while (predicting) {
      try {
        latencies.push(await probe());
      } catch (error) {
        // A probe that fails (or times out) is a figure of the attack, not a failure of the benchmark.
        if (failed++ === 0) console.log(`  ${name} failed: ${describeError(error)}`);
      }
      await sleep(SETTINGS.probeIntervalMs);
    }
    return {
      name,
      latency: summarizeLatencies(latencies),
      over100: latencies.filter((ms) => ms >= 100).length,
      failed,
    };
  });
  started = performance.now();
  let predictions: { answer: Answer; ms: number }[];
  try {
    predictions = await Promise.all(
      Array.from({ length: SETTINGS.concurrentImages }, async () => {
        const sent = performance.now();
        const answer = await predict(image);
        return { answer, ms: performance.now() - sent };
      }),
    );
  } finally {
    predicting = false;
  }
  const wallMs = performance.now() - started;
  const probed = await Promise.all(probes);
  const peakBytes = await peak;
  await sleep(1_000);
  const after = await residentSetBytes(api.pid);

  const outcomes = new Map<string, number>();
  for (const { answer } of predictions) {
    const outcome = answer.errors ? describeAnswer(answer) : 'top-1 answered';
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  const each = summarizeLatencies(predictions.map((prediction) => prediction.ms));
  console.log(
    `\n(2b) ${SETTINGS.concurrentImages} decompression bombs at once to predict on ${api.name} ` +
      `(MAX_IMAGE_PIXELS=${SETTINGS.admittingPixelLimit}, so they are decoded): each a ${describeImage(image)}.\n` +
      `  Warm-up prediction of a 64x64 image (loads the checkpoint, starts the decoder threads): ` +
      `${formatMs(warmUpMs)} ms.\n` +
      `  The ${SETTINGS.concurrentImages} predictions took ${seconds(wallMs)} together (each ${formatMs(each.p50)} ms ` +
      `p50, ${formatMs(each.max)} ms max): ${[...outcomes].map(([outcome, times]) => `${times} ${outcome}`).join(', ')}.`,
  );
  console.log(
    formatTable(
      `  Health probes meanwhile, each ${SETTINGS.probeIntervalMs} ms after the previous answer, ms`,
      ['probe', 'answered', 'failed', 'p50', 'p99', 'max', '>= 100 ms'],
      probed.map(({ name, latency, over100, failed }) => [
        name,
        String(latency.count),
        String(failed),
        formatMs(latency.p50),
        formatMs(latency.p99),
        formatMs(latency.max),
        String(over100),
      ]),
    ),
  );
  for (const error of new Set(predictions.flatMap(({ answer }) => answer.errors ?? []).map((e) => e.message))) {
    console.log(`  message: ${error}`);
  }
  console.log(
    `  ${api.name} RSS (sampled every ${SETTINGS.probeIntervalMs} ms): before ${formatMiB(before)}, ` +
      `peak ${formatMiB(peakBytes)}, 1 s after ${formatMiB(after)}.`,
  );
}

/**
 * (3) 10,000 subscribe messages on one WebSocket: how many the API holds, and what they cost it. Twice, on a new socket
 * each time: memory the first round leaves behind as garbage is reused by the second, memory it keeps is not.
 */
async function benchSubscriptionsPerConnection(api: ApiProcess, checkpoint: TrackedCheckpoint): Promise<void> {
  const rounds: SubscriptionRound[] = [];
  for (let round = 0; round < SETTINGS.subscriptionRounds; round++) {
    rounds.push(await subscribeOnOneSocket(api, checkpoint));
  }
  const runs = count(SETTINGS.subscriptions);
  console.log(
    `\n${formatTable(
      `(3) ${runs} subscribe messages of \`${RUN_UPDATED_SUBSCRIPTION}\` on one WebSocket to ${api.name} (default ` +
        `MAX_SUBSCRIPTIONS_PER_CONNECTION), then a startRun, whose runUpdated event tells the subscriptions held; ` +
        `${SETTINGS.subscriptionRounds} rounds, each on a new socket`,
      [
        'round',
        'answered in',
        'held (got the event)',
        'refused',
        'other',
        'API RSS before',
        `${runs} sent`,
        'growth',
        '1 s after close',
      ],
      rounds.map((round, index) => [
        String(index + 1),
        seconds(round.answeredMs),
        count(round.held),
        [...round.refusals].map(([code, times]) => `${count(times)} ${code}`).join(', ') || '0',
        String(round.otherMessages),
        formatMiB(round.before),
        formatMiB(round.sent),
        round.before === null || round.sent === null ? '-' : formatMiB(round.sent - round.before),
        formatMiB(round.afterClose),
      ]),
    )}`,
  );
  for (const message of new Set(rounds.map((round) => round.firstRefusal))) {
    if (message !== undefined) console.log(`  message: ${message}`);
  }
}

interface SubscriptionRound {
  /** From the first subscribe message to the last answer. */
  readonly answeredMs: number;
  /** Subscriptions that received the runUpdated event. */
  readonly held: number;
  /** Error answers by their code. */
  readonly refusals: ReadonlyMap<string, number>;
  readonly firstRefusal: string | undefined;
  /** Messages other than errors, events and pings. */
  readonly otherMessages: number;
  /** The API's RSS before the first subscribe, once all were answered, and 1 s after the socket closed. */
  readonly before: number | null;
  readonly sent: number | null;
  readonly afterClose: number | null;
}

async function subscribeOnOneSocket(api: ApiProcess, checkpoint: TrackedCheckpoint): Promise<SubscriptionRound> {
  const socket = await openGraphQLSocket(api.subscriptionsUrl);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    const refusals = new Map<string, number>();
    let firstRefusal: string | undefined;
    const received = new Set<string>();
    let otherMessages = 0;
    let lastMessage = performance.now();
    socket.on('message', (raw: WebSocket.RawData) => {
      lastMessage = performance.now();
      const message = JSON.parse(messageText(raw)) as { id?: string; type: string; payload?: unknown };
      if (message.type === 'error') {
        const errors = message.payload as readonly GraphQLFormattedError[];
        const code = codeOf(errors[0]);
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
        firstRefusal ??= errors[0]?.message;
      } else if (message.type === 'next' && message.id !== undefined) {
        received.add(message.id);
      } else if (message.type !== 'pong' && message.type !== 'ping') {
        otherMessages++;
      }
    });
    await sleep(500);
    const before = await residentSetBytes(api.pid);
    const started = performance.now();
    for (let id = 1; id <= SETTINGS.subscriptions; id++) {
      socket.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query: RUN_UPDATED_SUBSCRIPTION } }));
    }
    lastMessage = performance.now();
    const refused = () => [...refusals.values()].reduce((total, times) => total + times, 0);
    await waitUntilQuiet(
      () => lastMessage,
      () => refused() === SETTINGS.subscriptions,
    );
    const answeredMs = lastMessage - started;
    const sent = await residentSetBytes(api.pid);

    // An event for every runUpdated subscriber: those that receive it are the ones the API holds.
    await postGraphQL(api.url, START_RUN_MUTATION, {
      input: { modelName: checkpoint.modelName, datasetName: checkpoint.datasetName, epochs: 1 },
    });
    // Quiet from the answer on: the event may arrive after it.
    lastMessage = performance.now();
    const candidates = SETTINGS.subscriptions - refused();
    await waitUntilQuiet(
      () => lastMessage,
      () => received.size === candidates,
    );
    socket.close(1000);
    await closed;
    await sleep(1_000);
    const afterClose = await residentSetBytes(api.pid);
    return {
      answeredMs,
      held: received.size,
      refusals,
      firstRefusal,
      otherMessages,
      before,
      sent,
      afterClose,
    };
  } finally {
    socket.terminate();
  }
}

/** (4) More WebSocket connections from one address than MAX_CONNECTIONS_PER_CLIENT allows. */
async function benchConnectionsPerClient(api: ApiProcess): Promise<void> {
  const tried = SETTINGS.connectionsPerClient + SETTINGS.extraConnections;
  const attempts = await Promise.all(Array.from({ length: tried }, () => tryConnect(api.subscriptionsUrl)));
  const accepted = attempts.flatMap((attempt) => (attempt.socket ? [attempt.socket] : []));
  const refusals = new Map<string, number>();
  let body: string | undefined;
  for (const attempt of attempts) {
    if (attempt.socket) continue;
    refusals.set(attempt.refusal, (refusals.get(attempt.refusal) ?? 0) + 1);
    body ??= attempt.body;
  }
  await Promise.all(accepted.map(closeSocket));
  await sleep(500);
  const again = await tryConnect(api.subscriptionsUrl);
  if (again.socket) await closeSocket(again.socket);
  console.log(
    `\n${formatTable(
      `(4) ${tried} WebSocket connections at once from 127.0.0.1 to ${api.name} ` +
        `(MAX_CONNECTIONS_PER_CLIENT=${SETTINGS.connectionsPerClient})`,
      ['accepted', 'refused', 'after closing them, a new one'],
      [
        [
          String(accepted.length),
          [...refusals].map(([refusal, times]) => `${times} ${refusal}`).join(', ') || '0',
          again.socket ? 'accepted' : `refused: ${again.refusal}`,
        ],
      ],
    )}`,
  );
  if (body) console.log(`  body: ${body}`);
}

type ConnectAttempt =
  { readonly socket: WebSocket } | { readonly socket?: undefined; readonly refusal: string; readonly body?: string };

/** Opens a graphql-transport-ws socket; a refused upgrade is an outcome (its status and body), not a failure. */
function tryConnect(url: string): Promise<ConnectAttempt> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ refusal: `HTTP ${response.statusCode} ${errorCode(body)}`.trim(), body });
        socket.terminate();
      });
    });
    // Also after a refusal (terminate) or a reset: later errors must not go unhandled.
    socket.on('error', (error) => resolve({ refusal: `error: ${error.message}` }));
  });
}

/** The first error's code in a JSON refusal body, or '' when it has none. */
function errorCode(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: readonly GraphQLFormattedError[] };
    return parsed.errors?.[0] ? codeOf(parsed.errors[0]) : '';
  } catch {
    return '';
  }
}

function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.close(1000);
  });
}

/** A raw graphql-transport-ws socket after connection_init and its connection_ack. */
async function openGraphQLSocket(url: string): Promise<WebSocket> {
  const attempt = await tryConnect(url);
  if (!attempt.socket) throw new Error(`Expected a WebSocket connection to ${url}, but got ${attempt.refusal}.`);
  const socket = attempt.socket;
  await new Promise<void>((resolve, reject) => {
    socket.once('message', (raw: WebSocket.RawData) => {
      const text = messageText(raw);
      const type = (JSON.parse(text) as { type: string }).type;
      if (type === 'connection_ack') resolve();
      else reject(new Error(`Expected connection_ack from ${url}, but got ${text.slice(0, 200)}.`));
    });
    socket.once('close', (code, reason) =>
      reject(new Error(`${url} closed the connection before acknowledging it: ${code} ${String(reason)}`)),
    );
    socket.send(JSON.stringify({ type: 'connection_init' }));
  });
  socket.removeAllListeners('close');
  return socket;
}

/** Waits until `done()`, or until nothing arrived for SETTINGS.quietMs; throws past the subscription timeout. */
async function waitUntilQuiet(lastArrival: () => number, done: () => boolean): Promise<void> {
  const started = performance.now();
  while (!done() && performance.now() - lastArrival() < SETTINGS.quietMs) {
    if (performance.now() - started > SETTINGS.subscriptionTimeoutMs) {
      throw new Error(`The API kept answering for over ${SETTINGS.subscriptionTimeoutMs} ms.`);
    }
    await sleep(50);
  }
}

/** The largest of a process's RSS samples while `sampling()` holds. */
async function peakResidentSet(pid: number, sampling: () => boolean): Promise<number | null> {
  let peak: number | null = null;
  while (sampling()) {
    const bytes = await residentSetBytes(pid);
    if (bytes !== null && (peak === null || bytes > peak)) peak = bytes;
    await sleep(SETTINGS.probeIntervalMs);
  }
  return peak;
}

async function overHttp(url: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(SETTINGS.requestTimeoutMs),
  });
  const text = await response.text();
  try {
    return { status: response.status, ...(JSON.parse(text) as Omit<Answer, 'status'>) };
  } catch (error) {
    throw new Error(
      `Expected a JSON GraphQL answer from ${url}, but got HTTP ${response.status}: ${text.slice(0, 200)}`,
      {
        cause: error,
      },
    );
  }
}

/** One operation on a graphql-ws client; errors the server sends are an answer, a lost connection a failure. */
function overWebSocket(client: Client, query: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let data: unknown;
    client.subscribe(
      { query },
      {
        next: (result) => (data = result.data),
        error: (error: unknown) => {
          if (Array.isArray(error)) resolve({ status: null, errors: error as GraphQLFormattedError[] });
          else reject(new Error(`The WebSocket operation failed: ${describeError(error)}`, { cause: error }));
        },
        complete: () => resolve({ status: null, data }),
      },
    );
  });
}

/** Milliseconds to the answer of the health query, which must be data. */
async function timedHealthQuery(url: string): Promise<number> {
  const started = performance.now();
  expectData(await overHttp(url, HEALTH_QUERY), `the health query ${HEALTH_QUERY}`);
  return performance.now() - started;
}

async function timedHealthz(url: string): Promise<number> {
  const healthz = new URL('/healthz', url);
  const started = performance.now();
  const response = await fetch(healthz, { signal: AbortSignal.timeout(SETTINGS.requestTimeoutMs) });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`Expected HTTP 200 from ${healthz.href}, but got ${response.status}: ${text}`);
  return performance.now() - started;
}

function expectData(answer: Answer, what: string): void {
  if (answer.errors?.length || !answer.data) {
    throw new Error(`Expected data for ${what}, but got ${JSON.stringify(answer).slice(0, 500)}`);
  }
}

/** 'HTTP 400 GRAPHQL_VALIDATION_FAILED', or 'data' for an answer without errors. */
function describeAnswer(answer: Answer): string {
  const codes = [...new Set((answer.errors ?? []).map(codeOf))];
  return [answer.status === null ? '' : `HTTP ${answer.status}`, codes.length > 0 ? codes.join(', ') : 'data']
    .filter((part) => part !== '')
    .join(' ');
}

/** An error's `extensions.code`, or 'no code'. */
function codeOf(error: GraphQLFormattedError | undefined): string {
  const code = error?.extensions?.code;
  return typeof code === 'string' ? code : 'no code';
}

function messageText(raw: WebSocket.RawData): string {
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  return (Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw)).toString('utf8');
}

function describeImage(image: Buffer): string {
  return (
    `${SETTINGS.imageWidth}x${SETTINGS.imageHeight} black 8-bit grayscale PNG of ` +
    `${(image.byteLength / 1024).toFixed(0)} KiB (${((SETTINGS.imageWidth * SETTINGS.imageHeight * 4) / 1e6).toFixed(0)} MB as RGBA)`
  );
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

process.exitCode = await runBenchmark('hardening benchmark', SETTINGS, measure);
