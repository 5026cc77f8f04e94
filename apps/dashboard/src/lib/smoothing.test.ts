// The smoothing slider's math: TensorBoard's debiased exponential moving average, checked against values worked
// out by hand.
import { describe, expect, it } from 'vitest';
import { smoothSeries } from './smoothing';

describe('smoothSeries', () => {
  it('is the debiased moving average: 1, 2, 3 at 0.5 give 1, 5/3 and 17/7', () => {
    // last: 0.5, 1.25, 2.125; debiasing divides by 1 - 0.5^n: 0.5, 0.75, 0.875.
    expect(smoothSeries([1, 2, 3], 0.5)).toEqual([1, 5 / 3, 17 / 7]);
  });

  it('starts at the first value, however heavy the weight', () => {
    const smoothed = smoothSeries([4, 0, 0], 0.9);
    expect(smoothed[0]).toBeCloseTo(4, 12);
    // last: 0.4, 0.36, 0.324 over 0.1, 0.19, 0.271.
    expect(smoothed[1]).toBeCloseTo(0.36 / 0.19, 12);
    expect(smoothed[2]).toBeCloseTo(0.324 / 0.271, 12);
  });

  it('keeps missing values and leaves the average alone over them', () => {
    // 2 and then 4 at 0.5: last 1 then 2.5, over 0.5 and 0.75.
    expect(smoothSeries([2, null, 4], 0.5)).toEqual([2, null, 10 / 3]);
    expect(smoothSeries([null, 2, Number.NaN, 4], 0.5)).toEqual([null, 2, Number.NaN, 10 / 3]);
  });

  it('returns the values unchanged at weight 0 and for a constant series', () => {
    expect(smoothSeries([0.3, 0.1, 0.2], 0)).toEqual([0.3, 0.1, 0.2]);
    expect(smoothSeries([0.1, 0.1, null, 0.1], 0.9)).toEqual([0.1, 0.1, null, 0.1]);
    expect(smoothSeries([], 0.6)).toEqual([]);
  });

  it('refuses a weight outside 0 to below 1', () => {
    expect(() => smoothSeries([1], 1)).toThrow(new RangeError('Expected a smoothing weight from 0 to below 1, got 1.'));
    expect(() => smoothSeries([1], -0.1)).toThrow('got -0.1.');
    expect(() => smoothSeries([1], Number.NaN)).toThrow('got NaN.');
  });
});
