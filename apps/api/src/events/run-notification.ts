// What crosses processes when a run makes progress: one PostgreSQL NOTIFY per event on one channel. Whoever records
// (a worker, or the API for CLI-tracked runs) sends it inside the transaction that stores the event, so it reaches
// listeners exactly when, and only if, the event is committed; every API process LISTENs and fans it out to its own
// subscribers. Payloads name rows rather than carry them (NOTIFY payloads stop at 8,000 bytes): each API process
// reads a named row once and gives the same object to all its subscribers.
import type { BatchProgressEvent } from './run-events.js';

/** The one channel of run events. */
export const RUN_EVENTS_CHANNEL = 'resnet_lab_run_events';

/** The channel on which the API asks the worker training a run to stop it (payload: the run id). */
export const RUN_CONTROL_CHANNEL = 'resnet_lab_run_control';

export type RunNotification =
  /** A training step: carried whole, since nothing of it is stored. */
  | (Omit<BatchProgressEvent, '__typename'> & { readonly kind: 'batch' })
  /** An epoch's metric row (`EpochMetric.id`). */
  | { readonly kind: 'epoch'; readonly runId: string; readonly metricId: string }
  /** A checkpoint row (`Checkpoint.id`). */
  | { readonly kind: 'checkpoint'; readonly runId: string; readonly checkpointId: string }
  /** Lines of the run's log were stored: read those with seq in (afterSeq, lastSeq]. */
  | { readonly kind: 'logs'; readonly runId: string; readonly afterSeq: number; readonly lastSeq: number }
  /** The run's status changed: read the run. */
  | { readonly kind: 'status'; readonly runId: string }
  /** The run's row changed otherwise (progress, backend): read the run, for `runUpdated`. */
  | { readonly kind: 'updated'; readonly runId: string };

export function encodeRunNotification(notification: RunNotification): string {
  return JSON.stringify(notification);
}

/** The notification, or null for a payload that is not one (another version's, or garbage). */
export function decodeRunNotification(payload: string): RunNotification | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { kind, runId } = value as { kind?: unknown; runId?: unknown };
  if (typeof runId !== 'string') return null;
  switch (kind) {
    case 'batch':
    case 'epoch':
    case 'checkpoint':
    case 'logs':
    case 'status':
    case 'updated':
      return value as RunNotification;
    default:
      return null;
  }
}
