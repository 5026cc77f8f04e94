// The runProgress subscription's event stream: a replay of the epochs a run already finished, so that a client that
// subscribes late still draws the whole curve, then its live events, until its final status.
import type { ApiContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { FINAL_STATUSES, statusChanged, type RunProgressEvent } from '../../events/run-events.js';

type Services = ApiContext['services'];

export async function* runProgress(services: Services, runId: string): AsyncGenerator<RunProgressEvent> {
  // Subscribe before reading the run: an event between the read and the subscription would otherwise be lost.
  const channel = services.events.subscribeProgress(runId);
  try {
    const [run, metrics] = await Promise.all([services.runCatalog.find(runId), services.runCatalog.metrics(runId)]);
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
