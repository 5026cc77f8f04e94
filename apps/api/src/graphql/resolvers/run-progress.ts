// The runProgress subscription's event stream: a replay of the epochs a run already finished, so that a client that
// subscribes late still draws the whole curve, then its live events, until its final status.
import type { ApiContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { FINAL_STATUSES, statusChanged, type RunProgressEvent } from '../../events/run-events.js';
import type { EpochMetric, Run } from '../../generated/prisma/client.js';

type Services = ApiContext['services'];

interface Snapshot {
  readonly run: Run | null;
  readonly metrics: readonly EpochMetric[];
}

/**
 * Reads of a run's replay in flight, by run, with the subscription count at their start. Many clients subscribing
 * to one run at once (a dashboard page opened by a team, reconnects after a restart) share one read instead of two
 * statements each; a read is shared only with subscribers that subscribed before it started, so none misses an
 * event committed between the read and its subscription.
 */
const snapshots = new Map<string, { readonly startedAfter: number; readonly snapshot: Promise<Snapshot> }>();
let subscriptions = 0;

function snapshotOf(services: Services, runId: string, subscribedAt: number): Promise<Snapshot> {
  const inFlight = snapshots.get(runId);
  if (inFlight && inFlight.startedAfter >= subscribedAt) return inFlight.snapshot;
  const snapshot = (async () => {
    const [run, metrics] = await Promise.all([services.runCatalog.find(runId), services.runCatalog.metrics(runId)]);
    return { run, metrics };
  })();
  const entry = { startedAfter: subscriptions, snapshot };
  snapshots.set(runId, entry);
  const forget = () => {
    if (snapshots.get(runId) === entry) snapshots.delete(runId);
  };
  snapshot.then(forget, forget);
  return snapshot;
}

export async function* runProgress(services: Services, runId: string): AsyncGenerator<RunProgressEvent> {
  // Subscribe before reading the run: an event between the read and the subscription would otherwise be lost.
  const channel = services.events.subscribeProgress(runId);
  const subscribedAt = ++subscriptions;
  try {
    const { run, metrics } = await snapshotOf(services, runId, subscribedAt);
    if (!run) throw notFound('run', runId);
    for (const metric of metrics) yield { __typename: 'EpochCompleted', runId, metric };
    const replayedEpoch = metrics.at(-1)?.epoch ?? 0;
    if (FINAL_STATUSES.has(run.status)) {
      yield statusChanged(run);
      return;
    }
    for await (const event of channel) {
      if (event.__typename === 'EpochCompleted' && event.metric.epoch <= replayedEpoch) continue;
      yield event;
      if (event.__typename === 'RunStatusChanged' && FINAL_STATUSES.has(event.status)) return;
    }
  } finally {
    channel.close();
  }
}
