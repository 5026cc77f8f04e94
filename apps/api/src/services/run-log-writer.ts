// Stores what a run's worker prints, line by line, in batches: a line waits at most FLUSH_DELAY_MS (or until
// FLUSH_LINES wait), and each batch is one transaction that numbers its lines after the run's last, trims the run to
// its last MAX_STORED_LOG_LINES, and NOTIFYs the API processes, whose runLogs subscribers read the new rows once.
// Lines that cannot be stored (the database is away, the run was deleted) are dropped and leave a gap in the
// numbering; the writer never fails the run.
import type { Prisma, PrismaClient, RunLogStream } from '../generated/prisma/client.js';
import { notify } from './run-recorder.js';

/** Characters a stored line keeps; a longer one ends with '…' after its first MAX_LOG_LINE_CHARS - 1. */
export const MAX_LOG_LINE_CHARS = 4000;
/** Lines a run keeps: its last ones. */
export const MAX_STORED_LOG_LINES = 10_000;
/** Longest a line waits in memory before it is written, ms. */
const FLUSH_DELAY_MS = 500;
/** Lines that are written as soon as this many wait, and the most one statement inserts. */
const FLUSH_LINES = 1000;
/** Lines that may wait while writes are slower than the output; the oldest beyond this are dropped. */
const MAX_WAITING_LINES = 5000;

interface WaitingLine {
  readonly stream: RunLogStream;
  readonly line: string;
  readonly createdAt: Date;
}

/** What the writer holds for a run between writes. */
interface RunLogState {
  readonly waiting: WaitingLine[];
  /** Lines dropped since the last write: the next write leaves that many numbers out. */
  dropped: number;
  timer: NodeJS.Timeout | null;
  /** Whether a write is queued that has not started: it will take every line waiting when it does. */
  queued: boolean;
  /** The end of the run's chain of writes. */
  written: Promise<void>;
}

export class RunLogWriter {
  private readonly runs = new Map<string, RunLogState>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: (message: string) => void,
  ) {}

  /** Queues a line of the run's log; returns at once and never throws. */
  append(runId: string, stream: RunLogStream, line: string): void {
    const state = this.stateOf(runId);
    state.waiting.push({ stream, line: capLine(line), createdAt: new Date() });
    if (state.waiting.length > MAX_WAITING_LINES) {
      const excess = state.waiting.length - MAX_WAITING_LINES;
      state.waiting.splice(0, excess);
      state.dropped += excess;
    }
    if (state.waiting.length >= FLUSH_LINES) void this.flush(runId);
    else state.timer ??= setTimeout(() => void this.flush(runId), FLUSH_DELAY_MS);
  }

  /** Resolves once every line appended before the call is stored (or dropped, and said so in the log). */
  flush(runId: string): Promise<void> {
    const state = this.runs.get(runId);
    if (!state) return Promise.resolve();
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
    if (!state.queued) {
      state.queued = true;
      state.written = state.written.then(() => {
        state.queued = false;
        return this.write(runId, state);
      });
    }
    return state.written;
  }

  /** Writes the run's waiting lines and forgets it. */
  async end(runId: string): Promise<void> {
    await this.flush(runId);
    const state = this.runs.get(runId);
    if (state && state.waiting.length === 0 && state.timer === null) this.runs.delete(runId);
  }

  /** Writes what waits for every run. */
  async close(): Promise<void> {
    await Promise.all([...this.runs.keys()].map((runId) => this.end(runId)));
  }

  private stateOf(runId: string): RunLogState {
    let state = this.runs.get(runId);
    if (!state) {
      state = { waiting: [], dropped: 0, timer: null, queued: false, written: Promise.resolve() };
      this.runs.set(runId, state);
    }
    return state;
  }

  private async write(runId: string, state: RunLogState): Promise<void> {
    while (state.waiting.length > 0) {
      const lines = state.waiting.splice(0, FLUSH_LINES);
      const dropped = state.dropped;
      state.dropped = 0;
      try {
        await this.prisma.$transaction((transaction) => insertLines(transaction, runId, lines, dropped));
      } catch (error) {
        state.dropped += dropped + lines.length;
        this.log(`Run ${runId}: could not store ${lines.length} log lines: ${String(error)}`);
        return;
      }
    }
  }
}

/**
 * Inserts lines after the run's last (and `dropped` numbers more), deletes the lines before its last
 * MAX_STORED_LOG_LINES, and tells listeners which numbers are new. The advisory lock keeps two writers of one run
 * (API processes taking turns at a CLI-tracked run's reports) from taking the same numbers.
 */
async function insertLines(
  transaction: Prisma.TransactionClient,
  runId: string,
  lines: readonly WaitingLine[],
  dropped: number,
): Promise<void> {
  await transaction.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`RunLog:${runId}`}))`;
  const [{ last }] = await transaction.$queryRaw<[{ last: number | null }]>`
    SELECT max("seq") AS "last" FROM "RunLog" WHERE "runId" = ${runId}`;
  const afterSeq = last ?? 0;
  const first = afterSeq + dropped + 1;
  await transaction.runLog.createMany({
    data: lines.map((line, index) => ({ runId, seq: first + index, ...line })),
  });
  const lastSeq = first + lines.length - 1;
  if (lastSeq > MAX_STORED_LOG_LINES) {
    await transaction.runLog.deleteMany({ where: { runId, seq: { lte: lastSeq - MAX_STORED_LOG_LINES } } });
  }
  await notify(transaction, { kind: 'logs', runId, afterSeq, lastSeq });
}

/** The line as stored: at most MAX_LOG_LINE_CHARS, without NUL (which PostgreSQL's text refuses). */
export function capLine(line: string): string {
  const text = line.replaceAll('\u0000', '\uFFFD');
  return text.length <= MAX_LOG_LINE_CHARS ? text : `${text.slice(0, MAX_LOG_LINE_CHARS - 1)}…`;
}
