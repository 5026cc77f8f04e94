// In-process publish/subscribe of run progress: this API process's subscribers. Events reach it from PostgreSQL
// (RunEventListener), whichever process recorded them.
import type { BatchProgress } from '../generated/graphql.js';
import type { Checkpoint, EpochMetric, Run, RunLog } from '../generated/prisma/client.js';
import { EventChannel } from './event-channel.js';
import { PerRunChannels } from './per-run-channels.js';

/** A training step, as the schema's BatchProgress type says (generated from the SDL, so the two cannot drift). */
export type BatchProgressEvent = Omit<BatchProgress, '__typename'> & { readonly __typename: 'BatchProgress' };

export interface EpochCompletedEvent {
  readonly __typename: 'EpochCompleted';
  readonly runId: string;
  readonly metric: EpochMetric;
}

export interface CheckpointSavedEvent {
  readonly __typename: 'CheckpointSaved';
  readonly runId: string;
  readonly checkpoint: Checkpoint;
}

export interface RunStatusChangedEvent {
  readonly __typename: 'RunStatusChanged';
  readonly runId: string;
  readonly status: Run['status'];
  readonly errorMessage: string | null;
  readonly run: Run;
}

export type RunProgressEvent = BatchProgressEvent | EpochCompletedEvent | CheckpointSavedEvent | RunStatusChangedEvent;

/** What runLogs subscribers receive: each stored line of the run's log, then that the run ended. */
export type RunLogEvent = { readonly kind: 'line'; readonly line: RunLog } | { readonly kind: 'ended' };

export const FINAL_STATUSES: ReadonlySet<Run['status']> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export function statusChanged(run: Run): RunStatusChangedEvent {
  return { __typename: 'RunStatusChanged', runId: run.id, status: run.status, errorMessage: run.errorMessage, run };
}

export class RunEvents {
  private readonly progressListeners = new Map<string, Set<EventChannel<RunProgressEvent>>>();
  private readonly updateListeners = new Set<EventChannel<Run>>();
  /** Subscribers of runs' log lines (runLogs). */
  readonly logs = new PerRunChannels<RunLogEvent>();

  publishProgress(event: RunProgressEvent): void {
    for (const channel of this.progressListeners.get(event.runId) ?? []) channel.push(event);
  }

  publishRunUpdated(run: Run): void {
    for (const channel of this.updateListeners) channel.push(run);
  }

  hasProgressListeners(runId: string): boolean {
    return this.progressListeners.has(runId);
  }

  hasRunUpdatedListeners(): boolean {
    return this.updateListeners.size > 0;
  }

  subscribeProgress(runId: string): EventChannel<RunProgressEvent> {
    const listeners = this.progressListeners.get(runId) ?? new Set();
    this.progressListeners.set(runId, listeners);
    const channel: EventChannel<RunProgressEvent> = new EventChannel(() => {
      listeners.delete(channel);
      if (listeners.size === 0) this.progressListeners.delete(runId);
    });
    listeners.add(channel);
    return channel;
  }

  subscribeRunUpdated(): EventChannel<Run> {
    const channel: EventChannel<Run> = new EventChannel(() => this.updateListeners.delete(channel));
    this.updateListeners.add(channel);
    return channel;
  }
}
