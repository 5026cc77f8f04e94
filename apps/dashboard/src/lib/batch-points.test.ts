// The run page's batch-loss curve: stored points first, live ones after them, thinned as the API stores them.
import { describe, expect, it } from 'vitest';
import { addLiveBatch, batchCurve, type BatchPoint } from './batch-points';

/** Adds live batches of steps `from` to `to` (loss step / 10) to `live`. */
function addSteps(live: BatchPoint[], from: number, to: number, epochs: number, batches: number): BatchPoint[] {
  for (let step = from; step <= to; step++) live = addLiveBatch(live, { step, loss: step / 10 }, epochs, batches);
  return live;
}

describe('addLiveBatch', () => {
  it('keeps every batch of a short run', () => {
    expect(addSteps([], 1, 4, 2, 3).map((point) => point.step)).toEqual([1, 2, 3, 4]);
  });

  it('keeps what the API stores of a long run, and the newest batch: 200 x 391 has stride 44', () => {
    const steps = addSteps([], 1, 400, 200, 391).map((point) => point.step);
    expect(steps).toEqual([44, 88, 132, 176, 220, 264, 308, 352, 391, 396, 400]);
  });
});

describe('batchCurve', () => {
  it('draws the stored points, then the live ones after the last stored step', () => {
    const stored = [
      { step: 2, loss: 0.2 },
      { step: 4, loss: 0.4 },
    ];
    const live = [
      { step: 4, loss: 0.4 },
      { step: 5, loss: 0.5 },
    ];
    expect(batchCurve(stored, live)).toEqual([
      { step: 2, loss: 0.2 },
      { step: 4, loss: 0.4 },
      { step: 5, loss: 0.5 },
    ]);
    expect(batchCurve([], live)).toEqual(live);
  });
});
