// The read side of run logs (RunLogWriter stores them): a run's last lines, the lines after a given one, and the
// number of its last line.
import { badUserInput } from '../errors.js';
import type { PrismaClient, RunLog } from '../generated/prisma/client.js';
import { MAX_STORED_LOG_LINES } from './run-log-writer.js';

/** Lines Run.logs returns when the client does not say. */
export const DEFAULT_LOG_LINES = 500;

export class RunLogService {
  constructor(private readonly prisma: PrismaClient) {}

  /** The last `last` of the run's stored lines numbered above `after` (all when null), in order. */
  async lines(runId: string, after: number | null | undefined, last: number): Promise<RunLog[]> {
    checkAfter(after);
    if (!Number.isInteger(last) || last < 1 || last > MAX_STORED_LOG_LINES) {
      throw badUserInput('last', `Expected last to be from 1 to ${MAX_STORED_LOG_LINES}, got ${last}.`, last);
    }
    const newestFirst = await this.prisma.runLog.findMany({
      where: { runId, ...(after === null || after === undefined ? {} : { seq: { gt: after } }) },
      orderBy: { seq: 'desc' },
      take: last,
    });
    return newestFirst.reverse();
  }

  /** Every stored line of the run numbered above `after`, in order. */
  linesAfter(runId: string, after: number): Promise<RunLog[]> {
    return this.prisma.runLog.findMany({ where: { runId, seq: { gt: after } }, orderBy: { seq: 'asc' } });
  }

  /** The number of the run's last stored line; 0 when it has none. */
  async lastSeq(runId: string): Promise<number> {
    const { _max } = await this.prisma.runLog.aggregate({ where: { runId }, _max: { seq: true } });
    return _max.seq ?? 0;
  }
}

/** `after` is a line number: 0 or more. */
export function checkAfter(after: number | null | undefined): void {
  if (after !== null && after !== undefined && after < 0) {
    throw badUserInput('after', `Expected after to be a line number, 0 or more, got ${after}.`, after);
  }
}
