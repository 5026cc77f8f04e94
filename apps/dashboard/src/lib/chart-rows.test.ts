// What a line chart draws: smoothed values, the split at the last inherited point, and log scale's dropped values.
import { describe, expect, it } from 'vitest';
import { chartRows } from './chart-rows';

const DATA = [
  { epoch: 1, loss: 1 },
  { epoch: 2, loss: 2 },
  { epoch: 3, loss: 3 },
];

describe('chartRows', () => {
  it('passes the values through without smoothing, lineage or log scale', () => {
    expect(chartRows(DATA, 'epoch', ['loss'], { smoothing: 0, logScale: false, inheritedThrough: null })).toEqual(DATA);
  });

  it('splits each series at the last inherited x, which both lines share', () => {
    expect(chartRows(DATA, 'epoch', ['loss'], { smoothing: 0, logScale: false, inheritedThrough: 2 })).toEqual([
      { epoch: 1, loss: null, 'loss~inherited': 1 },
      { epoch: 2, loss: 2, 'loss~inherited': 2 },
      { epoch: 3, loss: 3, 'loss~inherited': null },
    ]);
  });

  it('smooths over the whole history and keeps the raw values beside', () => {
    expect(chartRows(DATA, 'epoch', ['loss'], { smoothing: 0.5, logScale: false, inheritedThrough: 1 })).toEqual([
      { epoch: 1, loss: 1, 'loss~inherited': 1, 'loss~raw': 1 },
      { epoch: 2, loss: 5 / 3, 'loss~inherited': null, 'loss~raw': 2 },
      { epoch: 3, loss: 17 / 7, 'loss~inherited': null, 'loss~raw': 3 },
    ]);
  });

  it('drops what a log axis cannot show, and missing values stay missing', () => {
    const data = [
      { step: 1, loss: 0, lr: 0.1 },
      { step: 2, loss: 0.5, lr: null },
    ];
    expect(chartRows(data, 'step', ['loss', 'lr'], { smoothing: 0, logScale: true, inheritedThrough: null })).toEqual([
      { step: 1, loss: null, lr: 0.1 },
      { step: 2, loss: 0.5, lr: null },
    ]);
  });
});
