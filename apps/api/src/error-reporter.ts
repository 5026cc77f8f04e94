// Logs unexpected errors once per cause instead of once per occurrence: a client that triggers the same failure
// on every request, or a thousand dropped sockets, must not flood the log. A cause is where the error was thrown
// (the first frames of its stack) and its message with the parts that differ each time (ids, numbers, quoted
// values) left out.
import { inspect } from 'node:util';

/** How many distinct causes are remembered; beyond it the oldest are forgotten (and logged again if they recur). */
const MAX_CAUSES = 1_000;
/** A cause that recurs is summarized at most this often, in milliseconds. */
export const REPEAT_SUMMARY_INTERVAL_MS = 60_000;

interface Seen {
  /** Occurrences since it was last logged. */
  repeats: number;
  lastLoggedAt: number;
}

export class ErrorReporter {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly log: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs the error with its stack and causes the first time its cause is seen; later, a count now and then. */
  report(error: unknown, context = 'Internal error'): void {
    const key = causeKey(error);
    const seen = this.seen.get(key);
    const now = this.now();
    if (!seen) {
      if (this.seen.size >= MAX_CAUSES) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(key, { repeats: 0, lastLoggedAt: now });
      this.log(`${context}: ${describeError(error)}`);
      return;
    }
    seen.repeats += 1;
    if (now - seen.lastLoggedAt >= REPEAT_SUMMARY_INTERVAL_MS) {
      this.log(`${context} again, ${seen.repeats} more time(s) since last logged: ${firstLine(error)}`);
      seen.repeats = 0;
      seen.lastLoggedAt = now;
    }
  }
}

/** The error with its stack and every cause, for logs. */
export function describeError(error: unknown): string {
  // Causes are not always errors: Prisma's driver adapters give plain objects that hold the SQLSTATE.
  if (!(error instanceof Error)) return typeof error === 'object' && error !== null ? inspect(error) : String(error);
  const cause = error.cause ? `\nCaused by: ${describeError(error.cause)}` : '';
  return `${error.stack ?? error.message}${cause}`;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n', 1)[0]!;
}

function causeKey(error: unknown): string {
  if (!(error instanceof Error)) return `value: ${String(error)}`;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, 3);
  const message = firstLine(error)
    .replace(/'[^']*'|"[^"]*"|`[^`]*`/g, '_')
    .replace(/[0-9a-f]{8,}(-[0-9a-f]{4,})*/gi, '_')
    .replace(/\d+/g, '_');
  const own = `${message} ${frames.join('|')}`;
  return error.cause === undefined ? own : `${own} <- ${causeKey(error.cause)}`;
}
