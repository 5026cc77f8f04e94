import { describe, expect, it } from 'vitest';
import { throughputRange } from './throughput-range.js';

describe('throughputRange', () => {
  it('gives the middle step of an odd count, and the slowest and fastest', () => {
    // 128 images in 2, 4, 1 s: 64, 32, 128 images/s.
    expect(throughputRange(128, [2, 4, 1])).toEqual({ median: 64, min: 32, max: 128, steps: 3 });
  });

  it('averages the two middle steps of an even count', () => {
    // 32 images in 1, 0.5, 0.25, 2 s: 32, 64, 128, 16 images/s.
    expect(throughputRange(32, [1, 0.5, 0.25, 2])).toEqual({ median: 48, min: 16, max: 128, steps: 4 });
  });

  it('takes a single step as median, min and max', () => {
    expect(throughputRange(10, [0.5])).toEqual({ median: 20, min: 20, max: 20, steps: 1 });
  });

  it('refuses no steps and times that are not positive', () => {
    expect(() => throughputRange(32, [])).toThrow(new RangeError('Expected at least one timed step, got none.'));
    expect(() => throughputRange(32, [1, 0])).toThrow(
      new RangeError('Expected every step to take a positive time, got 0 s.'),
    );
    expect(() => throughputRange(32, [Number.NaN])).toThrow(
      new RangeError('Expected every step to take a positive time, got NaN s.'),
    );
  });
});
