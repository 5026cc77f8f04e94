// A resumed run's page history: inherited epochs first, then its own (live ones included), grouped by the run that
// trained them; and its batch curve with the last inherited step.
import { describe, expect, it } from 'vitest';
import type { EpochMetricRowFragment } from '../generated/graphql';
import { epochHistory, inheritedThrough, lineageBatchCurve, lineageSpans } from './lineage-history';

function metric(epoch: number): EpochMetricRowFragment {
  return {
    epoch,
    trainLoss: 1 / epoch,
    trainAccuracy: 0.5,
    testLoss: null,
    testAccuracy: null,
    learningRate: 0.1,
    durationSeconds: 1,
    imagesPerSecond: 100,
  };
}

const FIRST = { id: 'a', name: 'first' };
const SECOND = { id: 'b', name: 'second' };
const THIRD = { id: 'c', name: 'third' };
const LINEAGE = [
  { inherited: true, run: FIRST, metric: metric(1) },
  { inherited: true, run: FIRST, metric: metric(2) },
  { inherited: true, run: SECOND, metric: metric(3) },
  { inherited: false, run: THIRD, metric: metric(4) },
];

describe('epochHistory', () => {
  it("puts the inherited epochs first, then the run's own as the page holds them (live), in epoch order", () => {
    const history = epochHistory(LINEAGE, [metric(5), metric(4)]);
    expect(history.map(({ metric, from }) => [metric.epoch, from?.name ?? null])).toEqual([
      [1, 'first'],
      [2, 'first'],
      [3, 'second'],
      [4, null],
      [5, null],
    ]);
    expect(inheritedThrough(history)).toBe(3);
    expect(lineageSpans(history)).toEqual([
      { run: FIRST, firstEpoch: 1, lastEpoch: 2 },
      { run: SECOND, firstEpoch: 3, lastEpoch: 3 },
    ]);
  });

  it('is the own epochs alone for a run that was not resumed', () => {
    const history = epochHistory([{ inherited: false, run: THIRD, metric: metric(1) }], [metric(2), metric(1)]);
    expect(history.map(({ metric, from }) => [metric.epoch, from])).toEqual([
      [1, null],
      [2, null],
    ]);
    expect(inheritedThrough(history)).toBeNull();
    expect(lineageSpans(history)).toEqual([]);
  });
});

describe('lineageBatchCurve', () => {
  it('appends the live batches after the stored ones and marks the last inherited step', () => {
    const stored = [
      { inherited: true, metric: { step: 1, loss: 2 } },
      { inherited: true, metric: { step: 4, loss: 1.5 } },
      { inherited: false, metric: { step: 6, loss: 1 } },
    ];
    expect(
      lineageBatchCurve(stored, [
        { step: 6, loss: 1 },
        { step: 7, loss: 0.9 },
      ]),
    ).toEqual({
      points: [
        { step: 1, loss: 2 },
        { step: 4, loss: 1.5 },
        { step: 6, loss: 1 },
        { step: 7, loss: 0.9 },
      ],
      inheritedThrough: 4,
    });
    expect(lineageBatchCurve([], [{ step: 1, loss: 3 }])).toEqual({
      points: [{ step: 1, loss: 3 }],
      inheritedThrough: null,
    });
  });
});
