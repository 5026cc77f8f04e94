// The runLogs subscription's stream: the stored lines after the client's last one (when it says which), then new
// lines as they are stored, until the run ends. Lines are numbered, so one both replayed and delivered live is
// given once.
import type { ApiContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { FINAL_STATUSES } from '../../events/run-events.js';
import type { RunLog } from '../../generated/prisma/client.js';
import { checkAfter } from '../../services/run-log-service.js';

type Services = ApiContext['services'];

export async function* runLogStream(
  services: Services,
  runId: string,
  after: number | null | undefined,
): AsyncGenerator<RunLog> {
  checkAfter(after);
  // Subscribe before reading: a line stored between the read and the subscription would otherwise be lost.
  const channel = services.events.logs.subscribe(runId);
  try {
    const run = await services.runCatalog.find(runId);
    if (!run) throw notFound('run', runId);
    let last: number;
    if (after === null || after === undefined) {
      last = await services.runLogs.lastSeq(runId);
    } else {
      last = after;
      for (const line of await services.runLogs.linesAfter(runId, after)) {
        yield line;
        last = line.seq;
      }
    }
    // A run that has ended has stored its last line before its final status.
    if (FINAL_STATUSES.has(run.status)) return;
    for await (const event of channel) {
      if (event.kind === 'ended') return;
      if (event.line.seq <= last) continue;
      last = event.line.seq;
      yield event.line;
    }
  } finally {
    channel.close();
  }
}
