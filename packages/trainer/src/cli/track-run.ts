// `resnet-lab train --track`: registers the run with a ResNet Lab API (mutation trackRun) and reports its events
// (reportTrainingEvents), over HTTP GraphQL, so that it shows live in the dashboard. Events go in order, batched,
// one request at a time; a failed request is retried with backoff, and if the API stays unreachable the run trains
// on untracked: the tracker never fails the training.
import fs from 'node:fs';
import path from 'node:path';
import type { TrainingEvent } from '../training/training-events.js';

/** What trackRun sends: the API's TrackRunInput. */
export interface TrackRunInput {
  /** Model to record the run under; the API reuses one of this name with the same architecture. */
  readonly modelName: string;
  readonly arch: string;
  readonly stem: string;
  readonly width: number;
  readonly classes: number;
  readonly inputSize: number;
  /** 'synthetic', or the dataset's absolute directory on this machine. */
  readonly datasetName: string;
  readonly datasetFormat: 'CIFAR10_BINARY' | 'IMAGE_FOLDER' | 'SYNTHETIC';
  readonly classNames: readonly string[];
  /** The resolved TrainConfig as JSON. */
  readonly config: string;
  /** The run directory, absolute. */
  readonly outputDir: string;
}

export type TrackedRunEnd = 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface TrackRunOptions {
  /** Called once, when the API answers that cancelRun was called for the run. */
  readonly onCancelRequested?: () => void;
  /** Receives the one warning printed when the API stops taking events. */
  readonly warn: (message: string) => void;
  /** Longest an event waits before it is sent, ms. Default 500. */
  readonly flushIntervalMs?: number;
  /** Events that are sent as soon as this many wait, and the most one request carries. Default 50. */
  readonly maxBatchEvents?: number;
  /** Waits before each retry of a failed request, ms; their count is the number of retries. Default 0.5, 1, 2, 4 s. */
  readonly retryDelaysMs?: readonly number[];
  /** A request that has not answered after this long fails (and is retried), ms. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** How retries wait; tests replace it. */
  readonly delay?: (ms: number) => Promise<void>;
}

export interface TrackedRun {
  readonly runId: string;
  /** Queues an event for the API; returns at once and never throws. */
  report(event: TrainingEvent): void;
  /** Sends the events still queued, then ends the run with `status`. Never throws: a failure is warned about. */
  finish(status: TrackedRunEnd, errorMessage?: string | null): Promise<void>;
}

/** A request to the API that failed; `retryable` when trying again may help (network, timeout, server error). */
export class TrackRunError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: ErrorOptions & { readonly retryable: boolean }) {
    super(message, options);
    this.name = 'TrackRunError';
    this.retryable = options.retryable;
  }
}

const TRACK_RUN = `mutation TrackRun($input: TrackRunInput!) { trackRun(input: $input) { id } }`;
const REPORT_TRAINING_EVENTS = `mutation ReportTrainingEvents($runId: ID!, $events: [String!]!) {
  reportTrainingEvents(runId: $runId, events: $events) { cancelRequested }
}`;
const FINISH_TRACKED_RUN = `mutation FinishTrackedRun($runId: ID!, $status: RunStatus!, $errorMessage: String) {
  finishTrackedRun(runId: $runId, status: $status, errorMessage: $errorMessage) { id }
}`;

type Settings = Required<Omit<TrackRunOptions, 'onCancelRequested'>> & Pick<TrackRunOptions, 'onCancelRequested'>;

function settingsOf(options: TrackRunOptions): Settings {
  return {
    onCancelRequested: options.onCancelRequested,
    warn: options.warn,
    flushIntervalMs: options.flushIntervalMs ?? 500,
    maxBatchEvents: options.maxBatchEvents ?? 50,
    retryDelaysMs: options.retryDelaysMs ?? [500, 1000, 2000, 4000],
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    delay: options.delay ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

/**
 * Registers the run with the API at `apiUrl` (its GraphQL endpoint) in one attempt, so that a wrong URL or token
 * fails before training starts, with a TrackRunError that names the URL.
 */
export async function trackRun(
  apiUrl: string,
  token: string | undefined,
  input: TrackRunInput,
  options: TrackRunOptions,
): Promise<TrackedRun> {
  const settings = settingsOf(options);
  const data = await postGraphQL(apiUrl, token, TRACK_RUN, { input }, settings.requestTimeoutMs);
  const runId = field(field(data, 'trackRun', apiUrl), 'id', apiUrl);
  if (typeof runId !== 'string') throw malformed(apiUrl, 'trackRun.id');
  return new EventReporter(apiUrl, token, runId, settings);
}

interface QueuedEvent {
  readonly kind: TrainingEvent['kind'];
  /** The envelope reportTrainingEvents takes: `{"event": ..., "checkpointSizeBytes": ...}`. */
  readonly envelope: string;
  readonly queuedAt: number;
}

class EventReporter implements TrackedRun {
  private queue: QueuedEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  /** Set when a request failed for good: later events are dropped. */
  private gaveUp = false;
  private warned = false;
  private finishing = false;
  private cancelNotified = false;

  constructor(
    private readonly apiUrl: string,
    private readonly token: string | undefined,
    readonly runId: string,
    private readonly settings: Settings,
  ) {}

  report(event: TrainingEvent): void {
    if (this.gaveUp || this.finishing) return;
    try {
      const checkpointSizeBytes =
        event.kind === 'epoch' && event.epochCheckpoint !== null ? directorySize(event.epochCheckpoint) : null;
      this.queue.push({
        kind: event.kind,
        envelope: JSON.stringify({ event, checkpointSizeBytes }),
        queuedAt: performance.now(),
      });
    } catch (error) {
      this.giveUp(error);
      return;
    }
    this.pump();
  }

  async finish(status: TrackedRunEnd, errorMessage: string | null = null): Promise<void> {
    this.finishing = true;
    this.pump();
    while (this.inFlight) await this.inFlight;
    // After the API stopped answering, one attempt: the run would otherwise stay RUNNING in the dashboard.
    const retryDelaysMs = this.gaveUp ? [] : this.settings.retryDelaysMs;
    try {
      await this.request(FINISH_TRACKED_RUN, { runId: this.runId, status, errorMessage }, retryDelaysMs);
    } catch (error) {
      this.warn(`could not finish the run ${this.runId} as ${status}: ${messageOf(error)}`);
    }
  }

  /** Sends the next batch when one is due and no request is in flight; otherwise waits for the flush interval. */
  private pump(): void {
    if (this.inFlight || this.gaveUp || this.queue.length === 0) return;
    const waitedMs = performance.now() - this.queue[0]!.queuedAt;
    const due =
      this.finishing ||
      this.queue.length >= this.settings.maxBatchEvents ||
      waitedMs >= this.settings.flushIntervalMs ||
      this.queue.some((queued) => queued.kind === 'epoch');
    if (!due) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.pump();
      }, this.settings.flushIntervalMs - waitedMs);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue.splice(0, this.settings.maxBatchEvents);
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = null;
      this.pump();
    });
  }

  private async send(batch: readonly QueuedEvent[]): Promise<void> {
    try {
      const data = await this.request(
        REPORT_TRAINING_EVENTS,
        { runId: this.runId, events: batch.map((queued) => queued.envelope) },
        this.settings.retryDelaysMs,
      );
      const cancelRequested = field(field(data, 'reportTrainingEvents', this.apiUrl), 'cancelRequested', this.apiUrl);
      if (cancelRequested === true && !this.cancelNotified) {
        this.cancelNotified = true;
        this.settings.onCancelRequested?.();
      }
    } catch (error) {
      this.giveUp(error);
    }
  }

  private async request(query: string, variables: Record<string, unknown>, retryDelaysMs: readonly number[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await postGraphQL(this.apiUrl, this.token, query, variables, this.settings.requestTimeoutMs);
      } catch (error) {
        const retryable = error instanceof TrackRunError && error.retryable;
        if (!retryable || attempt >= retryDelaysMs.length) throw error;
        await this.settings.delay(retryDelaysMs[attempt]!);
      }
    }
  }

  private giveUp(error: unknown): void {
    this.gaveUp = true;
    this.queue = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.warn(
      `stopped reporting to the API: ${messageOf(error)} Training goes on untracked; checkpoints are still saved ` +
        'in the run directory.',
    );
  }

  /** Only the first problem is printed: the training's own output matters more. */
  private warn(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.settings.warn(message);
  }
}

/** One GraphQL request; its `data`, or a TrackRunError that names the URL and says what went wrong. */
async function postGraphQL(
  apiUrl: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown>,
  timeoutMs: number,
): Promise<unknown> {
  let status: number;
  let text: string;
  try {
    const response = await fetch(apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw new TrackRunError(`Could not reach the API at ${apiUrl}: ${networkReason(error)}.`, {
      retryable: true,
      cause: error,
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const errors = field(body, 'errors', apiUrl, { optional: true });
  if (Array.isArray(errors) && errors.length > 0) {
    const first: unknown = errors[0];
    const message = field(first, 'message', apiUrl, { optional: true });
    const code = field(field(first, 'extensions', apiUrl, { optional: true }), 'code', apiUrl, { optional: true });
    throw new TrackRunError(
      `The API at ${apiUrl} refused the request (${typeof code === 'string' ? code : `HTTP ${status}`}): ` +
        `${typeof message === 'string' ? message : JSON.stringify(first)}`,
      // A database hiccup may pass; a bad token or input will not.
      { retryable: code === 'INTERNAL_SERVER_ERROR' || status >= 500 },
    );
  }
  const data = field(body, 'data', apiUrl, { optional: true });
  if (status !== 200 || typeof data !== 'object' || data === null) {
    throw new TrackRunError(
      `The API at ${apiUrl} answered HTTP ${status} without a GraphQL result; is it the GraphQL endpoint ` +
        `(e.g. http://localhost:4000/graphql)?`,
      { retryable: status >= 500 || status === 429 },
    );
  }
  return data;
}

/** A field of a parsed JSON object; undefined (if optional) or an error when `value` is not an object. */
function field(value: unknown, name: string, apiUrl: string, options: { optional?: boolean } = {}): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return (value as Record<string, unknown>)[name];
  }
  if (options.optional) return undefined;
  throw malformed(apiUrl, name);
}

function malformed(apiUrl: string, what: string): TrackRunError {
  return new TrackRunError(`The API at ${apiUrl} answered without ${what}: is it a ResNet Lab API?`, {
    retryable: false,
  });
}

/** fetch reports 'fetch failed' and puts the reason (ECONNREFUSED, a DNS failure) in its cause. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.message) return cause.message;
  return messageOf(error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Bytes of a checkpoint directory's files, as the API records for its checkpoints. */
function directorySize(directory: string): number {
  return fs.readdirSync(directory).reduce((total, name) => total + fs.statSync(path.join(directory, name)).size, 0);
}
