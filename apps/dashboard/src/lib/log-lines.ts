// The run page's log: lines as loaded, then as they arrive live, in order of their numbers, each once, and only the
// newest `max` of them in the page.
import type { RunLogLineRowFragment } from '../generated/graphql';

export type LogLine = RunLogLineRowFragment;

/** Lines the run page holds: the newest ones, as many as the log loads at most. */
export const MAX_SHOWN_LOG_LINES = 2000;

/**
 * `shown` followed by the lines of `arriving` numbered after its last (a reconnected subscription replays some), the
 * oldest dropped beyond `max`.
 */
export function addLogLines(
  shown: readonly LogLine[],
  arriving: readonly LogLine[],
  max = MAX_SHOWN_LOG_LINES,
): readonly LogLine[] {
  let last = shown.at(-1)?.seq ?? 0;
  const added: LogLine[] = [];
  for (const line of arriving) {
    if (line.seq <= last) continue;
    added.push(line);
    last = line.seq;
  }
  if (added.length === 0) return shown;
  const all = [...shown, ...added];
  return all.length > max ? all.slice(all.length - max) : all;
}

/** What the view says of lines before the first shown: none when it starts at line 1. */
export function earlierLinesNote(shown: readonly LogLine[]): string | null {
  const first = shown[0]?.seq ?? 1;
  if (first <= 1) return null;
  return first === 2 ? 'Line 1 is not shown.' : `Lines 1 to ${first - 1} are not shown.`;
}
