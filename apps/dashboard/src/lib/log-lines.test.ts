import { describe, expect, it } from 'vitest';
import { addLogLines, earlierLinesNote, type LogLine } from './log-lines';

const line = (seq: number): LogLine => ({ seq, stream: 'STDOUT', line: `line ${seq}` });

describe('addLogLines', () => {
  it('appends lines numbered after the last shown, once each, and keeps the newest max', () => {
    const shown = [line(1), line(2)];
    // A reconnected subscription replays 2 before 3 and 4.
    expect(addLogLines(shown, [line(2), line(3), line(4)]).map((each) => each.seq)).toEqual([1, 2, 3, 4]);
    expect(addLogLines(shown, [line(3), line(5), line(4)], 3).map((each) => each.seq)).toEqual([2, 3, 5]);
    // Nothing new: the same array, so that React renders nothing.
    expect(addLogLines(shown, [line(1)])).toBe(shown);
  });
});

describe('earlierLinesNote', () => {
  it('says which lines come before the first shown', () => {
    expect(earlierLinesNote([line(1), line(2)])).toBeNull();
    expect(earlierLinesNote([])).toBeNull();
    expect(earlierLinesNote([line(2)])).toBe('Line 1 is not shown.');
    expect(earlierLinesNote([line(501), line(502)])).toBe('Lines 1 to 500 are not shown.');
  });
});
