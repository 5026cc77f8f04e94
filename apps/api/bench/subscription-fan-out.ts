// Live progress fan-out: thousands of dashboards on one run's page (`subscription RunProgress`, each its own
// graphql-ws WebSocket, spread over the API processes) while a worker reports batches, epochs and checkpoints through
// PostgreSQL NOTIFY. Measures, for every event and every subscriber, the delay from the moment the notification
// left the worker's connection to its arrival, and whether each subscriber got every event once and in order.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { RUN_PROGRESS_SUBSCRIPTION } from './dashboard-documents.js';
import { summarizeLatencies, type LatencySummary } from './latency-summary.js';
import type { SimulatedWorker } from './simulated-worker.js';

export interface FanOutPlan {
  /** Epochs trained while subscribed: each is `batchesPerEpoch` batches, then its epoch-end transaction. */
  readonly epochs: readonly number[];
  readonly batchesPerEpoch: number;
  /** Batches of the following epoch before the run is cancelled: they show the stall after the last checkpoint. */
  readonly trailingBatches: number;
  /** Time between the worker's reports (50 ms: 20 batches a second). */
  readonly intervalMs: number;
}

export interface FanOutOptions {
  /** GraphQL WebSocket endpoints; subscriber i uses urls[i % urls.length]. */
  readonly urls: readonly string[];
  readonly subscribers: number;
  readonly runId: string;
  /** Epochs the run had finished before: each subscription starts by replaying them. */
  readonly replayedEpochs: number;
  readonly plan: FanOutPlan;
  /** Subscriptions opened at once while connecting. */
  readonly connectConcurrency: number;
  /** Longest wait for one subscription's replay, and for the last deliveries after the last event. */
  readonly timeoutMs: number;
  /** Called with every subscriber subscribed, before the first event (e.g. to sample memory). */
  readonly whenSubscribed?: () => Promise<void>;
  /** Called after the last training event, before the final status ends the subscriptions. */
  readonly beforeFinish?: () => Promise<void>;
  /** Wraps the event phase (sending every event and waiting for the deliveries), e.g. to count SQL statements. */
  readonly aroundEvents?: (events: () => Promise<void>) => Promise<void>;
}

export type FanOutEventKind =
  'batch' | 'last batch before an epoch end' | 'first batch after a checkpoint' | 'epoch' | 'checkpoint' | 'status';

const EVENT_KINDS: readonly FanOutEventKind[] = [
  'batch',
  'last batch before an epoch end',
  'first batch after a checkpoint',
  'epoch',
  'checkpoint',
  'status',
];

export interface FanOutKindFigures {
  readonly kind: FanOutEventKind;
  readonly events: number;
  readonly expected: number;
  readonly delivered: number;
  /** Delay from NOTIFY (COMMIT for transactional events) to arrival, over every (event, subscriber) pair, ms. */
  readonly delayMs: LatencySummary;
  /** Per event, the delay until its last subscriber had it; summarized over the events, ms. */
  readonly lastArrivalMs: LatencySummary;
}

export interface FanOutFigures {
  readonly subscribers: number;
  readonly subscribed: number;
  readonly failedToSubscribe: number;
  readonly firstFailure: string | null;
  /** From the first connection to every replay received. */
  readonly subscribeMs: number;
  readonly byKind: readonly FanOutKindFigures[];
  /**
   * Per subscriber and epoch end, how much later the first batch after the checkpoint arrived than the last batch
   * before the epoch end, each counted from its own NOTIFY: the stall that an epoch's end causes, apart from any
   * backlog that both batches share. ms.
   */
  readonly stallMs: LatencySummary;
  /** Delivered / expected and delays per API process (index into urls). */
  readonly byApi: readonly {
    readonly delivered: number;
    readonly expected: number;
    readonly delayMs: LatencySummary;
  }[];
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly unexpected: number;
  /** Subscriptions the server completed after the final status. */
  readonly completed: number;
  /** Subscriptions that ended with an error after subscribing, and the first one's error. */
  readonly erroredAfterSubscribing: number;
  readonly firstErrorAfterSubscribing: string | null;
  /** From the first event sent to the last delivery (or the timeout). */
  readonly eventPhaseMs: number;
}

/** The key of an EpochCompleted that replays an epoch finished before subscribing. */
const REPLAY = 'replay';

interface PlannedEvent {
  readonly key: string;
  readonly kind: FanOutEventKind;
}

/** One step of the worker: it sends one or more events at once (an epoch's end sends epoch and checkpoint). */
interface WorkerStep {
  readonly events: readonly PlannedEvent[];
  readonly send: (worker: SimulatedWorker) => Promise<number>;
}

interface ProgressEvent {
  readonly __typename: string;
  readonly epoch?: number;
  readonly batch?: number;
  readonly status?: string;
  readonly metric?: { readonly epoch: number };
  readonly checkpoint?: { readonly epoch: number };
}

interface Subscriber {
  readonly api: number;
  readonly client: Client;
  /** Arrival time of each planned event, NaN until it arrives. */
  readonly arrivals: Float64Array;
  replayed: number;
  /** Its replay arrived: it is subscribed. */
  ready: boolean;
  lastIndex: number;
  duplicates: number;
  outOfOrder: number;
  unexpected: number;
  ended: 'completed' | 'errored' | null;
  failure: string | null;
}

function plannedSteps(plan: FanOutPlan): WorkerStep[] {
  const steps: WorkerStep[] = [];
  const batch = (epoch: number, number: number, kind: FanOutEventKind): WorkerStep => ({
    events: [{ key: `batch:${epoch}:${number}`, kind }],
    send: (worker) => worker.batch(epoch, number),
  });
  plan.epochs.forEach((epoch, index) => {
    for (let number = 1; number <= plan.batchesPerEpoch; number++) {
      const kind =
        number === plan.batchesPerEpoch
          ? 'last batch before an epoch end'
          : number === 1 && index > 0
            ? 'first batch after a checkpoint'
            : 'batch';
      steps.push(batch(epoch, number, kind));
    }
    steps.push({
      events: [
        { key: `epoch:${epoch}`, kind: 'epoch' },
        { key: `checkpoint:${epoch}`, kind: 'checkpoint' },
      ],
      send: (worker) => worker.endEpoch(epoch),
    });
  });
  const next = (plan.epochs.at(-1) ?? 0) + 1;
  for (let number = 1; number <= plan.trailingBatches; number++) {
    steps.push(batch(next, number, number === 1 ? 'first batch after a checkpoint' : 'batch'));
  }
  steps.push({ events: [{ key: 'status:CANCELLED', kind: 'status' }], send: (worker) => worker.finish('CANCELLED') });
  return steps;
}

export async function benchSubscriptionFanOut(worker: SimulatedWorker, options: FanOutOptions): Promise<FanOutFigures> {
  const steps = plannedSteps(options.plan);
  const events = steps.flatMap((step) => step.events);
  const indexOf = new Map(events.map((event, index) => [event.key, index]));
  const sentAt = new Float64Array(events.length).fill(NaN);
  const subscribers: Subscriber[] = [];
  let firstFailure: string | null = null;

  /** The planned event's key, REPLAY for a replayed epoch, or null for anything else. */
  const keyOf = (event: ProgressEvent): string | null => {
    switch (event.__typename) {
      case 'BatchProgress':
        return `batch:${event.epoch}:${event.batch}`;
      case 'EpochCompleted':
        return event.metric && event.metric.epoch <= options.replayedEpochs ? REPLAY : `epoch:${event.metric?.epoch}`;
      case 'CheckpointSaved':
        return `checkpoint:${event.checkpoint?.epoch}`;
      case 'RunStatusChanged':
        return `status:${event.status}`;
      default:
        return null;
    }
  };

  /** Opens subscriber `index`; resolves once its replay has arrived, rejects when it fails first or times out. */
  const subscribe = (index: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const api = index % options.urls.length;
      const client = createClient({
        url: options.urls[api]!,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionAckWaitTimeout: options.timeoutMs,
      });
      const subscriber: Subscriber = {
        api,
        client,
        arrivals: new Float64Array(events.length).fill(NaN),
        replayed: 0,
        ready: false,
        lastIndex: -1,
        duplicates: 0,
        outOfOrder: 0,
        unexpected: 0,
        ended: null,
        failure: null,
      };
      subscribers.push(subscriber);
      const timer = setTimeout(() => reject(new Error(`no replay within ${options.timeoutMs} ms`)), options.timeoutMs);
      const replayed = () => {
        if (subscriber.replayed < options.replayedEpochs) return;
        subscriber.ready = true;
        clearTimeout(timer);
        resolve();
      };
      client.subscribe<{ runProgress: ProgressEvent }>(
        { query: RUN_PROGRESS_SUBSCRIPTION, variables: { runId: options.runId } },
        {
          next: (result) => {
            const arrivedAt = performance.now();
            const event = result.data?.runProgress;
            const key = event ? keyOf(event) : null;
            if (key === REPLAY) {
              subscriber.replayed++;
              return replayed();
            }
            const eventIndex = key === null ? undefined : indexOf.get(key);
            if (eventIndex === undefined) {
              subscriber.unexpected++;
              return;
            }
            if (!Number.isNaN(subscriber.arrivals[eventIndex]!)) subscriber.duplicates++;
            else subscriber.arrivals[eventIndex] = arrivedAt;
            if (eventIndex < subscriber.lastIndex) subscriber.outOfOrder++;
            subscriber.lastIndex = Math.max(subscriber.lastIndex, eventIndex);
          },
          error: (error: unknown) => {
            subscriber.ended = 'errored';
            subscriber.failure = describeFailure(error);
            clearTimeout(timer);
            reject(new Error(subscriber.failure));
          },
          complete: () => {
            subscriber.ended ??= 'completed';
            clearTimeout(timer);
            if (subscriber.replayed < options.replayedEpochs) reject(new Error('completed before its replay'));
          },
        },
      );
      if (options.replayedEpochs === 0) replayed();
    });

  const connectStarted = performance.now();
  let subscribed = 0;
  let failedToSubscribe = 0;
  for (let first = 0; first < options.subscribers; first += options.connectConcurrency) {
    const wave = Array.from(
      { length: Math.min(options.connectConcurrency, options.subscribers - first) },
      (_, offset) => first + offset,
    );
    const outcomes = await Promise.allSettled(wave.map(subscribe));
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') subscribed++;
      else {
        failedToSubscribe++;
        firstFailure ??= describeFailure(outcome.reason);
      }
    }
  }
  const subscribeMs = performance.now() - connectStarted;
  const live = subscribers.filter((subscriber) => subscriber.ready && subscriber.ended === null);

  try {
    await options.whenSubscribed?.();
    let eventPhaseMs = 0;
    const sendEvents = async () => {
      const started = performance.now();
      let due = started;
      let eventIndex = 0;
      for (const [stepIndex, step] of steps.entries()) {
        if (stepIndex === steps.length - 1) await options.beforeFinish?.();
        else await sleep(due - performance.now());
        due = Math.max(due + options.plan.intervalMs, performance.now());
        const at = await step.send(worker);
        for (let offset = 0; offset < step.events.length; offset++) sentAt[eventIndex + offset] = at;
        eventIndex += step.events.length;
      }
      const deadline = performance.now() + options.timeoutMs;
      while (performance.now() < deadline && live.some((subscriber) => !received(subscriber, events.length))) {
        await sleep(50);
      }
      eventPhaseMs = performance.now() - started;
    };
    await (options.aroundEvents ? options.aroundEvents(sendEvents) : sendEvents());
    // The final status ends each subscription on the server: give the completions a moment to arrive.
    const deadline = performance.now() + Math.min(options.timeoutMs, 10_000);
    while (performance.now() < deadline && live.some((subscriber) => subscriber.ended === null)) await sleep(50);

    return {
      subscribers: options.subscribers,
      subscribed,
      failedToSubscribe,
      firstFailure,
      subscribeMs,
      byKind: kindFigures(events, sentAt, live),
      stallMs: stallFigures(events, sentAt, live),
      byApi: options.urls.map((_, api) =>
        apiFigures(
          sentAt,
          live.filter((subscriber) => subscriber.api === api),
        ),
      ),
      duplicates: sum(live, (subscriber) => subscriber.duplicates),
      outOfOrder: sum(live, (subscriber) => subscriber.outOfOrder),
      unexpected: sum(live, (subscriber) => subscriber.unexpected),
      completed: live.filter((subscriber) => subscriber.ended === 'completed').length,
      erroredAfterSubscribing: live.filter((subscriber) => subscriber.ended === 'errored').length,
      firstErrorAfterSubscribing: live.find((subscriber) => subscriber.failure)?.failure ?? null,
      eventPhaseMs,
    };
  } finally {
    await Promise.all(subscribers.map(async (subscriber) => subscriber.client.dispose()));
  }
}

function received(subscriber: Subscriber, events: number): boolean {
  return subscriber.ended !== null || !Number.isNaN(subscriber.arrivals[events - 1]!);
}

function kindFigures(events: readonly PlannedEvent[], sentAt: Float64Array, live: readonly Subscriber[]) {
  return EVENT_KINDS.map((kind): FanOutKindFigures => {
    const indexes = events.flatMap((event, index) => (event.kind === kind ? [index] : []));
    const delays: number[] = [];
    const lastArrivals: number[] = [];
    for (const index of indexes) {
      let last = -Infinity;
      for (const subscriber of live) {
        const delay = subscriber.arrivals[index]! - sentAt[index]!;
        if (Number.isNaN(delay)) continue;
        delays.push(delay);
        last = Math.max(last, delay);
      }
      if (last > -Infinity) lastArrivals.push(last);
    }
    return {
      kind,
      events: indexes.length,
      expected: indexes.length * live.length,
      delivered: delays.length,
      delayMs: summarizeLatencies(delays),
      lastArrivalMs: summarizeLatencies(lastArrivals),
    };
  });
}

function stallFigures(events: readonly PlannedEvent[], sentAt: Float64Array, live: readonly Subscriber[]) {
  const pairs: [number, number][] = [];
  let before: number | null = null;
  events.forEach((event, index) => {
    if (event.kind === 'last batch before an epoch end') before = index;
    if (event.kind === 'first batch after a checkpoint' && before !== null) pairs.push([before, index]);
  });
  const stalls: number[] = [];
  for (const subscriber of live) {
    for (const [last, first] of pairs) {
      const stall = subscriber.arrivals[first]! - sentAt[first]! - (subscriber.arrivals[last]! - sentAt[last]!);
      if (!Number.isNaN(stall)) stalls.push(stall);
    }
  }
  return summarizeLatencies(stalls);
}

function apiFigures(sentAt: Float64Array, subscribers: readonly Subscriber[]) {
  const delays: number[] = [];
  for (const subscriber of subscribers) {
    subscriber.arrivals.forEach((arrival, index) => {
      if (!Number.isNaN(arrival)) delays.push(arrival - sentAt[index]!);
    });
  }
  return {
    delivered: delays.length,
    expected: subscribers.length * sentAt.length,
    delayMs: summarizeLatencies(delays),
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return JSON.stringify(error).slice(0, 300);
  // A CloseEvent-like object from the WebSocket.
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  if (typeof code === 'number')
    return `WebSocket closed with ${code} ${typeof reason === 'string' ? reason : ''}`.trim();
  return String(error);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, milliseconds)));
}
