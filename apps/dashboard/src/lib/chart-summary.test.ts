// The charts' text alternatives, word for word.
import { describe, expect, it } from 'vitest';
import { chartSummary } from './chart-summary';
import { percent } from './format';

const ROWS = [
  { epoch: 1, train: 0.5, test: null },
  { epoch: 2, train: 0.62, test: 0.64 },
  { epoch: 3, train: 0.62, test: 0.62 },
];

describe('chartSummary', () => {
  it('gives each series its count, last value and best value with where it is', () => {
    expect(
      chartSummary(
        ROWS,
        'epoch',
        'epoch',
        [
          { key: 'train', label: 'train accuracy', goal: 'max' },
          { key: 'test', label: 'test accuracy', goal: 'max' },
        ],
        (value) => percent(value, 1),
      ),
    ).toBe(
      'train accuracy: 3 epochs, last 62.0%, best 62.0% at epoch 2. ' +
        'test accuracy: 2 epochs, last 62.0%, best 64.0% at epoch 2.',
    );
  });

  it('takes the lowest as best for a loss, and both ends without a goal', () => {
    const format = (value: number) => String(value);
    expect(chartSummary(ROWS, 'epoch', 'epoch', [{ key: 'train', label: 'loss', goal: 'min' }], format)).toBe(
      'loss: 3 epochs, last 0.62, best 0.5 at epoch 1.',
    );
    expect(chartSummary(ROWS, 'epoch', 'epoch', [{ key: 'train', label: 'learning rate' }], format)).toBe(
      'learning rate: 3 epochs, last 0.62, lowest 0.5 at epoch 1, highest 0.62 at epoch 2.',
    );
  });

  it('says when a series has no points, and counts one point in the singular', () => {
    const format = (value: number) => value.toFixed(1);
    expect(chartSummary([], 'step', 'step', [{ key: 'loss', label: 'batch loss', goal: 'min' }], format)).toBe(
      'batch loss: no points yet.',
    );
    expect(
      chartSummary([{ step: 7, loss: 2 }], 'step', 'step', [{ key: 'loss', label: 'batch loss', goal: 'min' }], format),
    ).toBe('batch loss: 1 step, last 2.0, best 2.0 at step 7.');
  });
});
